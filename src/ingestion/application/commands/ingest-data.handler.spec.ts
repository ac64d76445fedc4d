import { EventPublisher, IEvent } from '@nestjs/cqrs';
import { createHash } from 'node:crypto';
import { InMemoryDataRepository } from '../../../../test/fakes/in-memory-data.repository';
import { RecordingIngestionMetrics } from '../../../../test/fakes/recording-ingestion.metrics';
import { RecordedEventBus, useRecordedEventBus } from '../../../../test/support/recorded-event-bus';
import { flushPromises, freezeClockAt } from '../../../../test/support/timing';
import { IdempotencyClaimMother } from '../../../../test/mothers/idempotency-claim.mother';
import { IngestedDataMother } from '../../../../test/mothers/ingested-data.mother';
import { PayloadMother } from '../../../../test/mothers/payload.mother';
import { DataId } from '../../domain/data-id.value-object';
import { DataIngested } from '../../domain/data-ingested.event';
import { DataRepository } from '../../domain/data.repository';
import { ClaimOutcome, IdempotencyClaim } from '../../domain/idempotency.claim';
import { IdempotencyPolicy } from '../../domain/idempotency.policy';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { IngestedDataFactory } from '../../domain/ingested-data.factory';
import {
  IdempotencyKeyReusedError,
  InvalidIdempotencyKeyError,
  InvalidPartnerIdError,
  PayloadTooLargeError,
} from '../../domain/ingestion.errors';
import { JsonText } from '../../domain/json-text';
import { receiptOf } from '../views/data-receipt.view';
import { IngestDataCommand } from './ingest-data.command';
import { IngestDataHandler } from './ingest-data.handler';
import { Principal } from '../../../access/domain/principal.value-object';
import { PrincipalMother } from '../../../../test/mothers/principal.mother';
import { PartnerAccessDeniedError } from '../../../access/domain/access.errors';

const RECEIVED_AT = '2026-11-29T10:31:05.123Z';
const HOUR_MS = 3_600_000;
const KEY = 'retry-7f3a';

/** Holds every save until `release()`: lets a test look at the moment between save and commit. */
class HeldSaveDataRepository extends InMemoryDataRepository {
  private markStarted!: () => void;
  private releaseSave?: () => void;
  readonly saveStarted = new Promise<void>((resolve) => (this.markStarted = resolve));

  async save(records: readonly IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    this.markStarted();
    await new Promise<void>((resolve) => (this.releaseSave = resolve));
    return super.save(records, claim);
  }

  release(): void {
    this.releaseSave!();
  }
}

/** Fails the first `failures` saves, before anything is stored; then behaves. */
class FailingDataRepository extends InMemoryDataRepository {
  constructor(
    private readonly failure: Error,
    private failures = Infinity,
  ) {
    super();
  }

  async save(records: readonly IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw this.failure;
    }
    return super.save(records, claim);
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

describe('IngestDataHandler', () => {
  let publisher: EventPublisher;
  let published: IEvent[];
  let observe: RecordedEventBus['observe'];
  let metrics: RecordingIngestionMetrics;
  const factory = new IngestedDataFactory({ maxBytes: 1_000, maxDepth: 32 }, () => new Date(RECEIVED_AT));

  const handlerWith = (repository: DataRepository, policy = new IdempotencyPolicy(24)): IngestDataHandler =>
    new IngestDataHandler(factory, repository, publisher, policy, metrics);

  const ingest = (partnerId: unknown, payload: unknown, key?: string): IngestDataCommand =>
    new IngestDataCommand(Principal.open(), partnerId, payload, key);

  useRecordedEventBus((bus) => ({ publisher, published, observe } = bus));

  beforeEach(() => {
    metrics = new RecordingIngestionMetrics();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('saves the record and returns a receipt in wire shape, not marked as a replay', async () => {
    const repository = new InMemoryDataRepository();
    const payload = PayloadMother.reading();

    const result = await handlerWith(repository).execute(ingest('acme', payload));

    expect(result.replayed).toBe(false);
    const receipt = result.view;
    expect(Object.keys(receipt).sort()).toEqual(['id', 'partner_id', 'timestamp']);
    expect(receipt).toEqual({ id: expect.any(String), partner_id: 'acme', timestamp: RECEIVED_AT });
    expect(DataId.isValid(receipt.id)).toBe(true);
    const stored = await repository.findById(DataId.create(receipt.id));
    expect(stored?.partnerId.value).toBe('acme');
    expect(stored?.timestamp.value).toBe(RECEIVED_AT);
    expect(stored?.payload.json).toBe(JSON.stringify(payload));
    expect(repository.claimCount).toBe(0);
  });

  it('saves the record in one save call, without a claim, then publishes its event', async () => {
    const repository = new InMemoryDataRepository();
    const save = jest.spyOn(repository, 'save');

    const { view } = await handlerWith(repository).execute(ingest('acme', { a: 1 }));

    expect(save).toHaveBeenCalledTimes(1);
    const [records, claim] = save.mock.calls[0];
    expect(records.map(receiptOf)).toEqual([view]);
    expect(claim).toBeUndefined();
    expect(repository.has(view.id)).toBe(true);
    expect(repository.claimCount).toBe(0);
    expect(published).toEqual([new DataIngested(view.id, 'acme', RECEIVED_AT)]);
  });

  it('stores the payload text the partner wrote, key order included', async () => {
    const repository = new InMemoryDataRepository();
    const payloadText = '{ "b": 1, "2": "two", "a": {"10": 0, "1": 1} }';

    const { view } = await handlerWith(repository).execute(ingest('acme', JsonText.scan(payloadText)));

    const stored = await repository.findById(DataId.create(view.id));
    expect(stored?.payload.json).toBe('{"b":1,"2":"two","a":{"10":0,"1":1}}');
  });

  it('publishes one DataIngested for the saved record', async () => {
    const repository = new InMemoryDataRepository();

    const { view } = await handlerWith(repository).execute(ingest('acme', { a: 1 }));

    expect(published).toEqual([new DataIngested(view.id, 'acme', RECEIVED_AT)]);
    expect(published[0]).toBeInstanceOf(DataIngested);
  });

  it('publishes only once the save has resolved, when the record is already stored', async () => {
    const repository = new HeldSaveDataRepository();
    const handler = handlerWith(repository);
    const storedWhenPublished: boolean[] = [];
    observe((event) => {
      storedWhenPublished.push(repository.has((event as DataIngested).dataId));
    });

    const execution = handler.execute(ingest('acme', { a: 1 }));
    await repository.saveStarted;
    await flushPromises();

    expect(published).toEqual([]);
    expect(repository.size).toBe(0);

    repository.release();
    const { view } = await execution;

    expect(published).toEqual([new DataIngested(view.id, 'acme', RECEIVED_AT)]);
    expect(storedWhenPublished).toEqual([true]);
  });

  it('publishes nothing and passes the error on when the save fails', async () => {
    const failure = new Error('disk full');

    await expect(handlerWith(new FailingDataRepository(failure)).execute(ingest('acme', { a: 1 }))).rejects.toBe(
      failure,
    );
    await flushPromises();

    expect(published).toEqual([]);
  });

  it('rejects invalid input with the domain error, saving and publishing nothing', async () => {
    const repository = new InMemoryDataRepository();
    const handler = handlerWith(repository);

    await expect(handler.execute(ingest('not/valid', { a: 1 }))).rejects.toBeInstanceOf(InvalidPartnerIdError);
    await expect(handler.execute(ingest('acme', PayloadMother.ofSerializedBytes(1_001)))).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );

    expect(repository.size).toBe(0);
    expect(published).toEqual([]);
  });

  it('gives each record its own id and event', async () => {
    const repository = new InMemoryDataRepository();
    const handler = handlerWith(repository);

    const { view: first } = await handler.execute(ingest('acme', { n: 1 }));
    const { view: second } = await handler.execute(ingest('globex', { n: 2 }));

    expect(second.id > first.id).toBe(true);
    expect(repository.size).toBe(2);
    expect(published).toEqual([
      new DataIngested(first.id, 'acme', RECEIVED_AT),
      new DataIngested(second.id, 'globex', RECEIVED_AT),
    ]);
  });

  describe('with an Idempotency-Key', () => {
    it('saves the record with its key the first time', async () => {
      const repository = new InMemoryDataRepository();

      const result = await handlerWith(repository).execute(ingest('acme', { a: 1 }, 'key-1'));

      expect(result.replayed).toBe(false);
      expect(repository.size).toBe(1);
      expect(repository.claimCount).toBe(1);
      expect(published).toEqual([new DataIngested(result.view.id, 'acme', RECEIVED_AT)]);
    });

    it('saves the record together with a claim holding the key, the receipt and a TTL of the policy, in one save', async () => {
      const repository = new InMemoryDataRepository();
      const save = jest.spyOn(repository, 'save');
      const before = Date.now();

      const result = await handlerWith(repository).execute(ingest('acme', { a: 1 }, KEY));

      const after = Date.now();
      expect(result.replayed).toBe(false);
      expect(save).toHaveBeenCalledTimes(1);
      const [saved, claim] = save.mock.calls[0];
      expect(saved.map(receiptOf)).toEqual([result.view]);
      expect(claim).toMatchObject({
        scope: sha256('acme'),
        key: expect.objectContaining({ value: KEY }),
        fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        response: { status: 201, body: JSON.stringify(result.view) },
      });
      const createdAt = Date.parse(claim!.createdAt.value);
      expect(createdAt).toBeGreaterThanOrEqual(before);
      expect(createdAt).toBeLessThanOrEqual(after);
      expect(Date.parse(claim!.expiresAt.value) - createdAt).toBe(24 * HOUR_MS);
      expect(repository.claimFor(sha256('acme'), KEY)).toBe(claim);
      expect(published).toEqual([new DataIngested(result.view.id, 'acme', RECEIVED_AT)]);
    });

    it('dates the expiry of the claim by the policy it was given', async () => {
      const repository = new InMemoryDataRepository();
      const save = jest.spyOn(repository, 'save');

      await handlerWith(repository, new IdempotencyPolicy(0.5)).execute(ingest('acme', { a: 1 }, KEY));

      const claim = save.mock.calls[0][1]!;
      expect(Date.parse(claim.expiresAt.value) - Date.parse(claim.createdAt.value)).toBe(HOUR_MS / 2);
    });

    it('answers a retry with the first receipt, marked as replayed, saving and publishing nothing more', async () => {
      const repository = new InMemoryDataRepository();
      const save = jest.spyOn(repository, 'save');
      const handler = handlerWith(repository);
      const first = await handler.execute(ingest('acme', { a: 1 }, 'key-1'));

      const retry = await handler.execute(ingest('acme', { a: 1 }, 'key-1'));
      await flushPromises();

      expect(retry).toEqual({ view: first.view, replayed: true });
      const retryRecord = save.mock.calls[1][0][0];
      expect(retryRecord.id.value).not.toBe(first.view.id);
      expect(repository.has(retryRecord.id.value)).toBe(false);
      expect(repository.size).toBe(1);
      expect(published).toEqual([new DataIngested(first.view.id, 'acme', RECEIVED_AT)]);
    });

    it('answers a replay with the stored body parsed, not with the receipt of the retry', async () => {
      const repository = new InMemoryDataRepository();
      const storedBody =
        '{"id":"019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69","partner_id":"acme","timestamp":"2026-01-01T00:00:00.000Z"}';
      jest.spyOn(repository, 'save').mockResolvedValue({ kind: 'replay', response: { status: 201, body: storedBody } });

      const result = await handlerWith(repository).execute(ingest('acme', { a: 1 }, KEY));
      await flushPromises();

      expect(result).toEqual({ view: JSON.parse(storedBody), replayed: true });
      expect(published).toEqual([]);
    });

    it('refuses the same key with another payload, saving and publishing nothing more and keeping the first claim', async () => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);
      await handler.execute(ingest('acme', { a: 1 }, 'key-1'));
      const firstClaim = repository.claimFor(sha256('acme'), 'key-1');

      await expect(handler.execute(ingest('acme', { a: 2 }, 'key-1'))).rejects.toBeInstanceOf(
        IdempotencyKeyReusedError,
      );
      await flushPromises();

      expect(repository.size).toBe(1);
      expect(repository.claimFor(sha256('acme'), 'key-1')).toBe(firstClaim);
      expect(published).toHaveLength(1);
    });

    it('throws IdempotencyKeyReusedError on a mismatch outcome, publishing nothing', async () => {
      const repository = new InMemoryDataRepository();
      jest.spyOn(repository, 'save').mockResolvedValue({ kind: 'mismatch' });

      await expect(handlerWith(repository).execute(ingest('acme', { a: 1 }, KEY))).rejects.toBeInstanceOf(
        IdempotencyKeyReusedError,
      );
      await flushPromises();

      expect(published).toEqual([]);
    });

    it('lets exactly one of several concurrent identical requests save; the others replay its receipt', async () => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);

      const results = await Promise.all(
        Array.from({ length: 5 }, () => handler.execute(ingest('acme', { a: 1 }, KEY))),
      );
      await flushPromises();

      const saved = results.filter((result) => !result.replayed);
      expect(saved).toHaveLength(1);
      for (const result of results) expect(result.view).toEqual(saved[0].view);
      expect(repository.size).toBe(1);
      expect(published).toEqual([new DataIngested(saved[0].view.id, 'acme', saved[0].view.timestamp)]);
    });

    it('keeps keys apart per partner: the same key for another partner saves and publishes its own record', async () => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);

      const acme = await handler.execute(ingest('acme', { a: 1 }, 'key-1'));
      const globex = await handler.execute(ingest('globex', { a: 2 }, 'key-1'));

      expect(acme.replayed).toBe(false);
      expect(globex.replayed).toBe(false);
      expect(globex.view.id).not.toBe(acme.view.id);
      expect(repository.size).toBe(2);
      expect(repository.claimCount).toBe(2);
      expect(published).toEqual([
        new DataIngested(acme.view.id, 'acme', RECEIVED_AT),
        new DataIngested(globex.view.id, 'globex', RECEIVED_AT),
      ]);
    });

    it.each([
      ['empty', ''],
      ['too long', 'k'.repeat(256)],
      ['not printable', 'key\n1'],
    ])('rejects an invalid (%s) key before looking at the body', async (_case, key) => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);

      await expect(handler.execute(ingest('acme', { a: 1 }, key))).rejects.toBeInstanceOf(InvalidIdempotencyKeyError);
      await expect(handler.execute(ingest('not/valid', [], key))).rejects.toBeInstanceOf(InvalidIdempotencyKeyError);

      expect(repository.size).toBe(0);
      expect(repository.claimCount).toBe(0);
      expect(published).toEqual([]);
    });

    describe('expiry', () => {
      it('saves anew over an expired claim on the key, and the new claim takes its place', async () => {
        const repository = new InMemoryDataRepository();
        await repository.save([], IdempotencyClaimMother.expired({ key: KEY, fingerprint: 'earlier request' }));
        const handler = handlerWith(repository);

        const result = await handler.execute(ingest('acme', { a: 1 }, KEY));

        expect(result.replayed).toBe(false);
        expect(repository.has(result.view.id)).toBe(true);
        expect(published).toEqual([new DataIngested(result.view.id, 'acme', RECEIVED_AT)]);
        const stored = repository.claimFor(sha256('acme'), KEY);
        expect(stored?.fingerprint).not.toBe('earlier request');
        expect(stored?.response.body).toBe(JSON.stringify(result.view));
        expect(await handler.execute(ingest('acme', { a: 1 }, KEY))).toEqual({ view: result.view, replayed: true });
      });

      it('refuses the key while an earlier claim of another request on it is still live', async () => {
        const repository = new InMemoryDataRepository();
        await repository.save([], IdempotencyClaimMother.live({ key: KEY, fingerprint: 'earlier request' }));

        await expect(handlerWith(repository).execute(ingest('acme', { a: 1 }, KEY))).rejects.toBeInstanceOf(
          IdempotencyKeyReusedError,
        );
        expect(repository.size).toBe(0);
        expect(published).toEqual([]);
      });

      it('saves a retry again once the first claim has expired (a policy that keeps keys for no time)', async () => {
        // Both requests at one instant: a claim that expires at its creation is no longer live then.
        freezeClockAt('2026-11-29T12:00:00.000Z');
        const repository = new InMemoryDataRepository();
        const handler = handlerWith(repository, new IdempotencyPolicy(0));

        const one = await handler.execute(ingest('acme', { a: 1 }, KEY));
        const two = await handler.execute(ingest('acme', { a: 1 }, KEY));

        expect(one.replayed).toBe(false);
        expect(two.replayed).toBe(false);
        expect(two.view.id).not.toBe(one.view.id);
        expect(repository.size).toBe(2);
        expect(repository.claimCount).toBe(1);
        expect(published).toEqual([
          new DataIngested(one.view.id, 'acme', RECEIVED_AT),
          new DataIngested(two.view.id, 'acme', RECEIVED_AT),
        ]);
        expect(repository.claimFor(sha256('acme'), KEY)?.response.body).toBe(JSON.stringify(two.view));
      });
    });
  });

  describe('with an API key', () => {
    it("refuses (403) a partner key's record for another partner, saving and publishing nothing", async () => {
      const repository = new InMemoryDataRepository();

      await expect(
        handlerWith(repository).execute(
          new IngestDataCommand(PrincipalMother.partner('acme'), 'globex', { a: 1 }, 'k'),
        ),
      ).rejects.toBeInstanceOf(PartnerAccessDeniedError);

      expect(repository.size).toBe(0);
      expect(repository.claimCount).toBe(0);
      expect(published).toEqual([]);
    });

    it('checks the body before the scope: an invalid partner id is a 400 for any key', async () => {
      await expect(
        handlerWith(new InMemoryDataRepository()).execute(
          new IngestDataCommand(PrincipalMother.partner('acme'), '../x', {}),
        ),
      ).rejects.toBeInstanceOf(InvalidPartnerIdError);
    });

    it("saves a partner key's own record, and an admin key's for any partner", async () => {
      const repository = new InMemoryDataRepository();
      await handlerWith(repository).execute(new IngestDataCommand(PrincipalMother.partner('acme'), 'acme', {}));
      await handlerWith(repository).execute(new IngestDataCommand(PrincipalMother.admin(), 'globex', {}));
      expect(repository.size).toBe(2);
    });

    it('scopes an Idempotency-Key by API key: another key of the same partner creates its own record', async () => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);
      const first = await handler.execute(
        new IngestDataCommand(PrincipalMother.partner('acme'), 'acme', { a: 1 }, 'k'),
      );
      const second = await handler.execute(
        new IngestDataCommand(PrincipalMother.partner('acme'), 'acme', { a: 1 }, 'k'),
      );
      const open = await handler.execute(ingest('acme', { a: 1 }, 'k'));

      expect([first.replayed, second.replayed, open.replayed]).toEqual([false, false, false]);
      expect(new Set([first.view.id, second.view.id, open.view.id]).size).toBe(3);
      expect(repository.claimCount).toBe(3);
    });

    it('replays a retry with the same API key', async () => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);
      const principal = PrincipalMother.partner('acme');
      const first = await handler.execute(new IngestDataCommand(principal, 'acme', { a: 1 }, 'k'));
      const retry = await handler.execute(new IngestDataCommand(principal, 'acme', { a: 1 }, 'k'));
      expect(retry).toEqual({ view: first.view, replayed: true });
    });
  });

  describe('metrics', () => {
    it('reports the committed record with its payload size in UTF-8 bytes, with or without a key', async () => {
      const repository = new InMemoryDataRepository();

      await handlerWith(repository).execute(ingest('acme', {}));
      await handlerWith(repository).execute(ingest('acme', { k: 1 }, KEY));
      await handlerWith(repository).execute(ingest('acme', { note: 'héllo ✓' }));

      expect(metrics.payloadBytes).toEqual([2, 7, Buffer.byteLength('{"note":"héllo ✓"}', 'utf8')]);
    });

    it('reports nothing for a replay, a reused key or a failed save', async () => {
      const repository = new InMemoryDataRepository();
      await handlerWith(repository).execute(ingest('acme', { n: 0 }, KEY));
      metrics = new RecordingIngestionMetrics();

      await handlerWith(repository).execute(ingest('acme', { n: 0 }, KEY));
      await expect(handlerWith(repository).execute(ingest('acme', { n: 1 }, KEY))).rejects.toBeInstanceOf(
        IdempotencyKeyReusedError,
      );
      await expect(
        handlerWith(new FailingDataRepository(new Error('disk full'))).execute(ingest('acme', { n: 0 })),
      ).rejects.toThrow('disk full');

      expect(metrics.records).toBe(0);
    });
  });

  it('receiptOf gives a record its wire receipt', () => {
    const record = IngestedDataMother.ingested({ partnerId: 'acme', timestamp: '2026-11-29T10:31:05.123Z' });

    expect(receiptOf(record)).toEqual({
      id: record.id.value,
      partner_id: 'acme',
      timestamp: '2026-11-29T10:31:05.123Z',
    });
  });
});
