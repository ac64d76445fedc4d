import { EventLogRelay } from '../ports/event-log.relay';
import { LiveFeed, type LiveFeedSubscription } from '../ports/live-feed';
import { PublishDataIngestedHandler } from './publish-data-ingested.handler';

class CountingRelay extends EventLogRelay {
  wakeUps = 0;

  wake(): void {
    this.wakeUps++;
  }
}

class CountingFeed extends LiveFeed {
  wakeUps = 0;

  wake(): void {
    this.wakeUps++;
  }

  locate(): Promise<null> {
    return Promise.resolve(null);
  }

  subscribe(): Promise<LiveFeedSubscription> {
    throw new Error('not used');
  }
}

describe('PublishDataIngestedHandler', () => {
  it('wakes the event-log relay and the live feed, which read the record from the log', async () => {
    const relay = new CountingRelay();
    const feed = new CountingFeed();

    await new PublishDataIngestedHandler(relay, feed).execute();

    expect(relay.wakeUps).toBe(1);
    expect(feed.wakeUps).toBe(1);
  });
});
