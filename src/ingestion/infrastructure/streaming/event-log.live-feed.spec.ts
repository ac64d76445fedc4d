import { Registry } from 'prom-client';
import { InMemoryEventLogStore } from '../../../../test/fakes/in-memory-event-log.store';
import type { LiveFeedEnd, LiveFeedSubscription } from '../../application/ports/live-feed';
import { StreamUnavailableError } from '../../domain/ingestion.errors';
import { PrometheusLiveFeedMetrics } from '../metrics/prometheus-live-feed.metrics';
import { EventLogLiveFeed, type LiveFeedOptions } from './event-log.live-feed';

describe('EventLogLiveFeed', () => {
  let log: InMemoryEventLogStore;
  let registry: Registry;
  let feed: EventLogLiveFeed;

  const start = (options: Partial<LiveFeedOptions> = {}) => {
    registry = new Registry();
    feed = new EventLogLiveFeed(
      log,
      new PrometheusLiveFeedMetrics(registry),
      { maxClients: 100, maxLag: 1000, pollIntervalMs: 10_000, ...options },
      () => undefined,
    );
  };

  /** Records committed: the feed is woken, as the saga wakes it. */
  const commit = (partnerId: string, count = 1) => {
    log.append(partnerId, count);
    feed.wake();
  };

  /** Reads until `count` entries arrived (or fails after a second). */
  const read = async (subscription: LiveFeedSubscription, count: number): Promise<string[]> => {
    const ids: string[] = [];
    const deadline = Date.now() + 1000;
    while (ids.length < count) {
      const entries = await Promise.race([
        subscription.next(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`only ${ids.length}`)), deadline - Date.now()),
        ),
      ]);
      if (entries === null) break;
      ids.push(...entries.map((entry) => entry.id));
    }
    return ids;
  };

  const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `id-${from + i}`);

  const ended = (subscription: LiveFeedSubscription) =>
    new Promise<LiveFeedEnd>((resolve) => subscription.onEnd(resolve));

  beforeEach(() => {
    log = new InMemoryEventLogStore();
  });

  afterEach(async () => {
    await feed.onModuleDestroy();
  });

  it('follows the records committed after subscribing, in log order', async () => {
    start();
    log.append('acme', 3);
    const subscription = await feed.subscribe({ includePayload: false });

    commit('acme', 2);
    commit('globex');

    expect(await read(subscription, 3)).toEqual(ids(4, 6));
  });

  it('catches up after a position from the database, then follows live, with no gap and no duplicate', async () => {
    start({ recent: { entries: 4, bytes: 1 << 20 } });
    log.append('acme', 50);
    const subscription = await feed.subscribe({ afterPosition: 10, includePayload: false });
    commit('acme', 30);

    expect(await read(subscription, 70)).toEqual(ids(11, 80));
    expect(log.catchUpReads).toBeGreaterThan(0);
  });

  it('resumes after a position the reader has not reached yet, without going back', async () => {
    start();
    const subscription = await feed.subscribe({ includePayload: false });
    log.append('acme', 5);
    const resumed = await feed.subscribe({ afterPosition: 3, includePayload: false });
    feed.wake();

    expect(await read(subscription, 5)).toEqual(ids(1, 5));
    expect(await read(resumed, 2)).toEqual(ids(4, 5));
  });

  it("hands a partner's subscription only that partner's records", async () => {
    start();
    const subscription = await feed.subscribe({ partnerId: 'acme', includePayload: false });
    commit('globex', 3);
    commit('acme');
    commit('globex');
    commit('acme');

    expect(await read(subscription, 2)).toEqual(['id-4', 'id-6']);
  });

  it('ends a subscription more than maxLag live records behind, counting only its own records', async () => {
    start({ maxLag: 5 });
    const slow = await feed.subscribe({ partnerId: 'acme', includePayload: false });
    const reader = await feed.subscribe({ includePayload: false });
    const end = ended(slow);

    commit('globex', 20);
    await read(reader, 20);
    commit('acme', 5);
    await read(reader, 5);
    let state: LiveFeedEnd | 'open' = 'open';
    void end.then((reason) => (state = reason));
    await new Promise((resolve) => setImmediate(resolve));
    expect(state).toBe('open');

    commit('acme');
    await read(reader, 1);

    expect(await end).toBe('lag');
    expect(await slow.next()).toBeNull();
    expect(await registry.getSingleMetricAsString('stream_clients_dropped_total')).toContain('reason="lag"} 1');
  });

  it('does not count the history a subscription catches up on as lag', async () => {
    start({ maxLag: 5 });
    log.append('acme', 100);
    const subscription = await feed.subscribe({ afterPosition: 0, includePayload: false });
    commit('acme', 3);

    expect(await read(subscription, 103)).toEqual(ids(1, 103));
  });

  it('refuses more than maxClients subscriptions, and accepts again once one closes', async () => {
    start({ maxClients: 2 });
    const first = await feed.subscribe({ includePayload: false });
    await feed.subscribe({ includePayload: false });

    await expect(feed.subscribe({ includePayload: false })).rejects.toThrow(StreamUnavailableError);
    first.close();
    await expect(feed.subscribe({ includePayload: false })).resolves.toBeDefined();
  });

  it('ends every subscription on shutdown, and refuses new ones', async () => {
    start();
    const subscription = await feed.subscribe({ includePayload: false });
    const end = ended(subscription);
    const waiting = subscription.next();

    feed.shutDown();

    expect(await end).toBe('shutdown');
    expect(await waiting).toBeNull();
    await expect(feed.subscribe({ includePayload: false })).rejects.toThrow(StreamUnavailableError);
  });
});
