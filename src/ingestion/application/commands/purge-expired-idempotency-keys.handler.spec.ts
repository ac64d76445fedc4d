import { InMemoryDataRepository } from '../../../../test/fakes/in-memory-data.repository';
import { IdempotencyClaimMother } from '../../../../test/mothers/idempotency-claim.mother';
import { freezeClockAt } from '../../../../test/support/timing';
import { PurgeExpiredIdempotencyKeysCommand } from './purge-expired-idempotency-keys.command';
import { PurgeExpiredIdempotencyKeysHandler } from './purge-expired-idempotency-keys.handler';

async function repositoryWith(expired: number, live: number): Promise<InMemoryDataRepository> {
  const repository = new InMemoryDataRepository();
  for (let n = 0; n < expired; n++) await repository.save([], IdempotencyClaimMother.expired({ key: `old-${n}` }));
  for (let n = 0; n < live; n++) await repository.save([], IdempotencyClaimMother.live({ key: `new-${n}` }));
  return repository;
}

describe('PurgeExpiredIdempotencyKeysHandler', () => {
  it('deletes the expired claims chunk by chunk until a chunk comes back short, and answers the total', async () => {
    const repository = await repositoryWith(5, 3);
    const purge = jest.spyOn(repository, 'purgeExpiredClaims');

    const purged = await new PurgeExpiredIdempotencyKeysHandler(repository).execute(
      new PurgeExpiredIdempotencyKeysCommand(2),
    );

    expect(purged).toBe(5);
    expect(purge).toHaveBeenCalledTimes(3);
    expect(purge.mock.calls.map(([, limit]) => limit)).toEqual([2, 2, 2]);
    expect(await Promise.all(purge.mock.results.map((result) => result.value as Promise<number>))).toEqual([2, 2, 1]);
    expect(repository.claimCount).toBe(3);
    for (let n = 0; n < 3; n++) {
      expect(repository.claimFor(IdempotencyClaimMother.scopeOf(['acme']), `new-${n}`)).toBeDefined();
    }
  });

  it('asks once more when the expired claims fill the last chunk exactly', async () => {
    const repository = await repositoryWith(4, 1);
    const purge = jest.spyOn(repository, 'purgeExpiredClaims');

    const purged = await new PurgeExpiredIdempotencyKeysHandler(repository).execute(
      new PurgeExpiredIdempotencyKeysCommand(2),
    );

    expect(purged).toBe(4);
    expect(purge).toHaveBeenCalledTimes(3);
    expect(repository.claimCount).toBe(1);
  });

  it('asks once and answers 0 when nothing has expired', async () => {
    const repository = await repositoryWith(0, 2);
    const purge = jest.spyOn(repository, 'purgeExpiredClaims');

    expect(
      await new PurgeExpiredIdempotencyKeysHandler(repository).execute(new PurgeExpiredIdempotencyKeysCommand(2)),
    ).toBe(0);
    expect(purge).toHaveBeenCalledTimes(1);
    expect(repository.claimCount).toBe(2);
  });

  it('measures every chunk against one instant, the time the purge started', async () => {
    const repository = await repositoryWith(5, 0);
    const purge = jest.spyOn(repository, 'purgeExpiredClaims');
    const before = Date.now();

    await new PurgeExpiredIdempotencyKeysHandler(repository).execute(new PurgeExpiredIdempotencyKeysCommand(2));

    const instants = purge.mock.calls.map(([now]) => now.value);
    expect(new Set(instants).size).toBe(1);
    expect(Date.parse(instants[0])).toBeGreaterThanOrEqual(before);
    expect(Date.parse(instants[0])).toBeLessThanOrEqual(Date.now());
  });

  describe('at the instant a claim expires', () => {
    const NOW = '2026-11-29T12:00:00.000Z';

    // Only the clock stands still; timers, immediates and microtasks run as usual.
    beforeEach(() => freezeClockAt(NOW));

    afterEach(() => jest.useRealTimers());

    it('purges a claim whose expiry is now, and keeps one that expires a millisecond later', async () => {
      const repository = new InMemoryDataRepository();
      const createdAt = '2026-11-28T12:00:00.000Z';
      await repository.save([], IdempotencyClaimMother.create({ key: 'due', createdAt, expiresAt: NOW }));
      await repository.save(
        [],
        IdempotencyClaimMother.create({ key: 'not-yet', createdAt, expiresAt: '2026-11-29T12:00:00.001Z' }),
      );

      const purged = await new PurgeExpiredIdempotencyKeysHandler(repository).execute(
        new PurgeExpiredIdempotencyKeysCommand(10),
      );

      const scope = IdempotencyClaimMother.scopeOf(['acme']);
      expect(purged).toBe(1);
      expect(repository.claimFor(scope, 'due')).toBeUndefined();
      expect(repository.claimFor(scope, 'not-yet')).toBeDefined();
    });
  });

  it('deletes 500 at a time by default', async () => {
    const repository = await repositoryWith(501, 0);
    const purge = jest.spyOn(repository, 'purgeExpiredClaims');

    const purged = await new PurgeExpiredIdempotencyKeysHandler(repository).execute(
      new PurgeExpiredIdempotencyKeysCommand(),
    );

    expect(purged).toBe(501);
    expect(purge.mock.calls.map(([, limit]) => limit)).toEqual([500, 500]);
  });

  it('gives the event loop back between chunks, so that other work is not held up', async () => {
    const repository = await repositoryWith(5, 0);
    const order: string[] = [];
    const purgeChunk = repository.purgeExpiredClaims.bind(repository);
    jest.spyOn(repository, 'purgeExpiredClaims').mockImplementation((now, limit) => {
      order.push('chunk');
      return purgeChunk(now, limit);
    });

    const purge = new PurgeExpiredIdempotencyKeysHandler(repository).execute(new PurgeExpiredIdempotencyKeysCommand(2));
    setImmediate(() => order.push('other work'));
    await purge;

    expect(order).toEqual(['chunk', 'other work', 'chunk', 'chunk']);
  });

  it.each([[0], [-1], [1.5], [Number.NaN]])(
    'refuses a chunk size of %p, with which the purge would never end or never start',
    (chunkSize) => {
      expect(() => new PurgeExpiredIdempotencyKeysCommand(chunkSize)).toThrow(
        new RangeError('chunkSize must be a positive integer.'),
      );
    },
  );

  it('purges one claim at a time with a chunk size of 1', async () => {
    const repository = await repositoryWith(2, 1);

    const purged = await new PurgeExpiredIdempotencyKeysHandler(repository).execute(
      new PurgeExpiredIdempotencyKeysCommand(1),
    );

    expect(purged).toBe(2);
    expect(repository.claimCount).toBe(1);
  });

  it('passes a storage failure on', async () => {
    const repository = await repositoryWith(3, 0);
    const failure = new Error('database is locked');
    jest.spyOn(repository, 'purgeExpiredClaims').mockResolvedValueOnce(2).mockRejectedValueOnce(failure);

    await expect(
      new PurgeExpiredIdempotencyKeysHandler(repository).execute(new PurgeExpiredIdempotencyKeysCommand(2)),
    ).rejects.toBe(failure);
  });
});
