import { RecordingIntegrationEventPublisher } from '../../../../test/fakes/recording-integration-event.publisher';
import { PublishDataIngestedCommand } from './publish-data-ingested.command';
import { PublishDataIngestedHandler } from './publish-data-ingested.handler';

describe('PublishDataIngestedHandler', () => {
  const command = new PublishDataIngestedCommand(
    '019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69',
    'acme',
    '2026-11-29T10:31:05.123Z',
  );

  it('hands the integration event, in wire field names, to the publisher', async () => {
    const publisher = new RecordingIntegrationEventPublisher();

    await new PublishDataIngestedHandler(publisher).execute(command);

    expect(publisher.published).toEqual([
      { id: '019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69', partner_id: 'acme', timestamp: '2026-11-29T10:31:05.123Z' },
    ]);
    expect(Object.keys(publisher.published[0]).sort()).toEqual(['id', 'partner_id', 'timestamp']);
  });

  it('passes a publisher failure on, so that the bus can log and count it', async () => {
    const publisher = new RecordingIntegrationEventPublisher();
    const failure = new Error('broker unreachable');
    publisher.failWith(failure);

    await expect(new PublishDataIngestedHandler(publisher).execute(command)).rejects.toBe(failure);
  });
});
