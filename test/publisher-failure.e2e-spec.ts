import { InProcessIntegrationEventPublisher } from '../src/ingestion/infrastructure/messaging/in-process-integration-event.publisher';
import { get, ingestOk, settle, waitFor } from './support/http';
import { metricValue } from './support/metrics';
import { useTestApp } from './support/test-app';

describe('an integration event publisher that fails', () => {
  const context = useTestApp();

  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['rejects', () => Promise.reject(new Error('broker down'))],
    [
      'throws synchronously',
      () => {
        throw new Error('broker down');
      },
    ],
  ])(
    '%s: the 201 stands, the failure is counted, and once it works again every record is delivered, in log order',
    async (_, failure) => {
      const publisher = context.app.get(InProcessIntegrationEventPublisher);
      const failures = () => metricValue(context.app, 'event_publish_failures_total');
      const before = await failures();
      const publish = jest.spyOn(publisher, 'publish').mockImplementation(failure);

      const first = await ingestOk(context.app, 'acme', { n: 1 });
      await waitFor(async () => (await failures()) > before, 'the counted failure');
      expect(publish).toHaveBeenCalled();
      expect((await get(context.app, `/ingest/${first.id}`)).statusCode).toBe(200);
      expect((await get(context.app, '/health/ready')).statusCode).toBe(200);
      await waitFor(async () => (await metricValue(context.app, 'event_log_pending')) >= 1, 'a pending entry');

      publish.mockRestore();
      const delivered: string[] = [];
      const subscription = publisher.events$.subscribe((event) => delivered.push(event.id));
      try {
        const next = await ingestOk(context.app, 'acme', { n: 2 });
        await waitFor(() => delivered.includes(next.id), 'delivery after recovery');
        await settle();
        expect(delivered).toEqual([first.id, next.id]);
        await waitFor(async () => (await metricValue(context.app, 'event_log_pending')) === 0, 'an empty backlog');
      } finally {
        subscription.unsubscribe();
      }
    },
  );
});
