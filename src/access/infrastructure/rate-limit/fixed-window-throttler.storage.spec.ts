import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';

describe('FixedWindowThrottlerStorage', () => {
  let storage: FixedWindowThrottlerStorage;
  let now: number;

  beforeEach(() => {
    now = Date.parse('2026-12-01T10:00:00.000Z');
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    storage = new FixedWindowThrottlerStorage();
  });

  afterEach(() => {
    storage.onApplicationShutdown();
    jest.restoreAllMocks();
  });

  it('counts hits per key in a window of ttl, and blocks past the limit for blockDuration', async () => {
    const hits = [];
    for (let n = 0; n < 4; n++) hits.push(await storage.increment('k', 2_000, 3, 2_000, 'default'));
    expect(hits.map((hit) => [hit.totalHits, hit.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(hits[3]).toEqual({ totalHits: 4, timeToExpire: 2, isBlocked: true, timeToBlockExpire: 2 });
    expect((await storage.increment('other', 2_000, 3, 2_000, 'default')).totalHits).toBe(1);

    now += 1_000;
    expect((await storage.increment('k', 2_000, 3, 2_000, 'default')).isBlocked).toBe(true);
    now += 1_000;
    expect(await storage.increment('k', 2_000, 3, 2_000, 'default')).toEqual({
      totalHits: 1,
      timeToExpire: 2,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
  });

  it('keeps separate counters per throttler name', async () => {
    await storage.increment('k', 1_000, 1, 1_000, 'a');
    expect((await storage.increment('k', 1_000, 1, 1_000, 'b')).isBlocked).toBe(false);
    expect((await storage.increment('k', 1_000, 1, 1_000, 'a')).isBlocked).toBe(true);
  });
});
