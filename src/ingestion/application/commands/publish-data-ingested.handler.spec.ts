import { EventLogRelay } from '../ports/event-log.relay';
import { PublishDataIngestedHandler } from './publish-data-ingested.handler';

class CountingRelay extends EventLogRelay {
  wakeUps = 0;

  wake(): void {
    this.wakeUps++;
  }
}

describe('PublishDataIngestedHandler', () => {
  it('wakes the event-log relay, which delivers the record from the log', async () => {
    const relay = new CountingRelay();

    await new PublishDataIngestedHandler(relay).execute();

    expect(relay.wakeUps).toBe(1);
  });
});
