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
    '%s: the 201 stands, the record is stored, the failure is counted, and the saga keeps working',
    async (_, failure) => {
      const publisher = context.app.get(InProcessIntegrationEventPublisher);
      const failures = () =>
        metricValue(context.app, 'event_handler_failures_total', { handler: 'PublishDataIngestedHandler' });
      const before = await failures();
      const publish = jest.spyOn(publisher, 'publish').mockImplementation(failure);

      const receipt = await ingestOk(context.app, 'acme', { n: 1 });
      await waitFor(async () => (await failures()) > before, 'the counted failure');
      expect(publish).toHaveBeenCalledTimes(1);
      expect((await get(context.app, `/ingest/${receipt.id}`)).statusCode).toBe(200);

      // The saga survived: once the publisher recovers, the next record is delivered.
      publish.mockRestore();
      const delivered: string[] = [];
      const subscription = publisher.events$.subscribe((event) => delivered.push(event.id));
      try {
        const next = await ingestOk(context.app, 'acme', { n: 2 });
        await waitFor(() => delivered.includes(next.id), 'delivery after recovery');
        await settle();
        expect(delivered).toEqual([next.id]);
      } finally {
        subscription.unsubscribe();
      }
    },
  );
});
