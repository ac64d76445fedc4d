import { EventPublisher, IEvent } from '@nestjs/cqrs';
import { createHash } from 'node:crypto';
import { InMemoryDataRepository } from '../../../../test/fakes/in-memory-data.repository';
import { RecordingIngestionMetrics } from '../../../../test/fakes/recording-ingestion.metrics';
import { RecordedEventBus, useRecordedEventBus } from '../../../../test/support/recorded-event-bus';
import { flushPromises, freezeClockAt } from '../../../../test/support/timing';
import { IdempotencyClaimMother } from '../../../../test/mothers/idempotency-claim.mother';
import { IngestedDataMother } from '../../../../test/mothers/ingested-data.mother';
import { DataIngested } from '../../domain/data-ingested.event';
import { DataRepository } from '../../domain/data.repository';
import { IdempotencyKey } from '../../domain/idempotency-key.value-object';
import { ClaimOutcome, IdempotencyClaim } from '../../domain/idempotency.claim';
import { IdempotencyPolicy } from '../../domain/idempotency.policy';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { IngestedDataFactory } from '../../domain/ingested-data.factory';
import { IdempotencyKeyReusedError } from '../../domain/ingestion.errors';
import { JsonObject } from '../../domain/payload.value-object';
import type { DataReceiptView } from '../views/data-receipt.view';
import { IngestionCommitter, IngestOperation, receiptOf } from './ingestion.committer';
import { Principal } from '../../../access/domain/principal.value-object';

const HOUR_MS = 3_600_000;
const KEY = IdempotencyKey.create('retry-7f3a');

/** Holds every saveAll until `release()`: lets a test look at the moment between save and commit. */
class HeldSaveAllDataRepository extends InMemoryDataRepository {
  private markStarted!: () => void;
  private releaseSave?: () => void;
  readonly saveStarted = new Promise<void>((resolve) => (this.markStarted = resolve));

  async saveAll(records: IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    this.markStarted();
    await new Promise<void>((resolve) => (this.releaseSave = resolve));
    return super.saveAll(records, claim);
  }

  release(): void {
    this.releaseSave!();
  }
}

/** Fails the first `failures` saveAll calls, before anything is stored; then behaves. */
class FlakyDataRepository extends InMemoryDataRepository {
  constructor(
    private failures: number,
    private readonly failure: Error,
  ) {
    super();
  }

  async saveAll(records: IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw this.failure;
    }
    return super.saveAll(records, claim);
  }
}

interface RecordSpec {
  partnerId: string;
  payload: JsonObject;
}

/** New records, as the factory builds them on each request (a retry gets fresh ids). */
function recordsOf(...specs: RecordSpec[]): IngestedData[] {
  return specs.map((spec) => IngestedDataMother.ingested(spec));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

describe('IngestionCommitter', () => {
  let publisher: EventPublisher;
  let published: IEvent[];
  let observe: RecordedEventBus['observe'];
  let metrics: RecordingIngestionMetrics;

  const committerWith = (repository: DataRepository, policy = new IdempotencyPolicy(24)): IngestionCommitter =>
    new IngestionCommitter(repository, publisher, policy, metrics);

  const eventsOf = (records: IngestedData[]): DataIngested[] =>
    records.map((record) => new DataIngested(record.id.value, record.partnerId.value, record.timestamp.value));

  /** The claim the committer hands to the repository for this request. */
  async function claimFor(operation: IngestOperation, records: IngestedData[]): Promise<IdempotencyClaim> {
    const repository = new InMemoryDataRepository();
    const saveAll = jest.spyOn(repository, 'saveAll');
    await committerWith(repository).commit(operation, records, records.map(receiptOf), KEY, Principal.open());
    const claim = saveAll.mock.calls[0][1];
    if (!claim) throw new Error('no claim was handed to saveAll');
    return claim;
  }

  useRecordedEventBus((bus) => ({ publisher, published, observe } = bus));

  beforeEach(() => {
    metrics = new RecordingIngestionMetrics();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describe('without an Idempotency-Key', () => {
    it('saves a single record with save, then publishes its event', async () => {
      const repository = new InMemoryDataRepository();
      const save = jest.spyOn(repository, 'save');
      const saveAll = jest.spyOn(repository, 'saveAll');
      const records = recordsOf({ partnerId: 'acme', payload: { a: 1 } });
      const view = receiptOf(records[0]);

      const result = await committerWith(repository).commit('ingest', records, view, undefined, Principal.open());

      expect(result).toEqual({ view, replayed: false });
      expect(result.view).toBe(view);
      expect(save).toHaveBeenCalledTimes(1);
      expect(save).toHaveBeenCalledWith(records[0]);
      expect(saveAll).not.toHaveBeenCalled();
      expect(repository.has(records[0].id.value)).toBe(true);
      expect(repository.claimCount).toBe(0);
      expect(published).toEqual(eventsOf(records));
    });

    it('saves several records in one saveAll without a claim, then publishes one event per record in order', async () => {
      const repository = new InMemoryDataRepository();
      const save = jest.spyOn(repository, 'save');
      const saveAll = jest.spyOn(repository, 'saveAll');
      const records = recordsOf(
        { partnerId: 'acme', payload: { n: 0 } },
        { partnerId: 'globex', payload: { n: 1 } },
        { partnerId: 'acme', payload: { n: 2 } },
      );
      const view = { records: records.map(receiptOf) };

      const result = await committerWith(repository).commit('ingest-batch', records, view, undefined, Principal.open());

      expect(result).toEqual({ view, replayed: false });
      expect(saveAll).toHaveBeenCalledTimes(1);
      expect(saveAll).toHaveBeenCalledWith(records);
      expect(saveAll.mock.calls[0][1]).toBeUndefined();
      expect(save).not.toHaveBeenCalled();
      expect(repository.size).toBe(3);
      expect(repository.claimCount).toBe(0);
      expect(published).toEqual(eventsOf(records));
    });

    it('publishes nothing until saveAll has resolved, and then only stored records', async () => {
      const repository = new HeldSaveAllDataRepository();
      const records = recordsOf({ partnerId: 'acme', payload: { n: 0 } }, { partnerId: 'acme', payload: { n: 1 } });
      const storedWhenPublished: boolean[] = [];
      observe((event) => {
        storedWhenPublished.push(repository.has((event as DataIngested).dataId));
      });

      const commit = committerWith(repository).commit('ingest-batch', records, {}, undefined, Principal.open());
      await repository.saveStarted;
      await flushPromises();

      expect(published).toEqual([]);
      expect(repository.size).toBe(0);

      repository.release();
      await commit;

      expect(published).toEqual(eventsOf(records));
      expect(storedWhenPublished).toEqual([true, true]);
    });

    it('publishes nothing and passes the error on when saving fails', async () => {
      const failure = new Error('disk full');
      const records = recordsOf({ partnerId: 'acme', payload: { n: 0 } }, { partnerId: 'acme', payload: { n: 1 } });

      await expect(
        committerWith(new FlakyDataRepository(1, failure)).commit(
          'ingest-batch',
          records,
          {},
          undefined,
          Principal.open(),
        ),
      ).rejects.toBe(failure);
      await flushPromises();

      expect(published).toEqual([]);
    });
  });

  describe('with an Idempotency-Key', () => {
    it('saves the records together with a claim holding the key and the response, then publishes', async () => {
      const repository = new InMemoryDataRepository();
      const saveAll = jest.spyOn(repository, 'saveAll');
      const records = recordsOf({ partnerId: 'acme', payload: { a: 1 } });
      const view = receiptOf(records[0]);
      const before = Date.now();

      const result = await committerWith(repository).commit('ingest', records, view, KEY, Principal.open());

      const after = Date.now();
      expect(result).toEqual({ view, replayed: false });
      expect(saveAll).toHaveBeenCalledTimes(1);
      const [saved, claim] = saveAll.mock.calls[0];
      expect(saved).toEqual(records);
      expect(claim).toMatchObject({
        scope: sha256('acme'),
        key: KEY,
        fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        response: { status: 201, body: JSON.stringify(view) },
      });
      const createdAt = Date.parse(claim!.createdAt.value);
      expect(createdAt).toBeGreaterThanOrEqual(before);
      expect(createdAt).toBeLessThanOrEqual(after);
      expect(Date.parse(claim!.expiresAt.value) - createdAt).toBe(24 * HOUR_MS);
      expect(repository.size).toBe(1);
      expect(repository.claimFor(sha256('acme'), KEY.value)).toBe(claim);
      expect(published).toEqual(eventsOf(records));
    });

    it('dates the expiry by the policy it was given', async () => {
      const repository = new InMemoryDataRepository();
      const saveAll = jest.spyOn(repository, 'saveAll');
      const records = recordsOf({ partnerId: 'acme', payload: { a: 1 } });

      await committerWith(repository, new IdempotencyPolicy(0.5)).commit('ingest', records, {}, KEY, Principal.open());

      const claim = saveAll.mock.calls[0][1]!;
      expect(Date.parse(claim.expiresAt.value) - Date.parse(claim.createdAt.value)).toBe(HOUR_MS / 2);
    });

    it('answers a retry of the same request with the first view, marked as replayed, saving and publishing nothing', async () => {
      const repository = new InMemoryDataRepository();
      const committer = committerWith(repository);
      const first = recordsOf({ partnerId: 'acme', payload: { a: 1 } });
      const firstView = receiptOf(first[0]);
      await committer.commit('ingest', first, firstView, KEY, Principal.open());
      published.length = 0;

      const retry = recordsOf({ partnerId: 'acme', payload: { a: 1 } });
      const result = await committer.commit('ingest', retry, receiptOf(retry[0]), KEY, Principal.open());
      await flushPromises();

      expect(result).toEqual({ view: firstView, replayed: true });
      expect(result.view.id).not.toBe(retry[0].id.value);
      expect(repository.size).toBe(1);
      expect(repository.has(retry[0].id.value)).toBe(false);
      expect(published).toEqual([]);
    });

    it('answers a replay with the stored body parsed, whatever view the retry brings', async () => {
      const repository = new InMemoryDataRepository();
      const storedBody =
        '{"id":"019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69","partner_id":"acme","timestamp":"2026-01-01T00:00:00.000Z"}';
      jest
        .spyOn(repository, 'saveAll')
        .mockResolvedValue({ kind: 'replay', response: { status: 201, body: storedBody } });
      const records = recordsOf({ partnerId: 'acme', payload: { a: 1 } });

      const result = await committerWith(repository).commit<DataReceiptView>(
        'ingest',
        records,
        receiptOf(records[0]),
        KEY,
        Principal.open(),
      );
      await flushPromises();

      expect(result).toEqual({ view: JSON.parse(storedBody), replayed: true });
      expect(published).toEqual([]);
    });

    it('refuses the same key with another request, saving and publishing nothing and keeping the first claim', async () => {
      const repository = new InMemoryDataRepository();
      const committer = committerWith(repository);
      const first = recordsOf({ partnerId: 'acme', payload: { a: 1 } });
      await committer.commit('ingest', first, receiptOf(first[0]), KEY, Principal.open());
      const firstClaim = repository.claimFor(sha256('acme'), KEY.value);
      published.length = 0;

      const other = recordsOf({ partnerId: 'acme', payload: { a: 2 } });
      await expect(
        committer.commit('ingest', other, receiptOf(other[0]), KEY, Principal.open()),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      await flushPromises();

      expect(repository.size).toBe(1);
      expect(repository.claimFor(sha256('acme'), KEY.value)).toBe(firstClaim);
      expect(published).toEqual([]);
    });

    it('throws IdempotencyKeyReusedError on a mismatch outcome, publishing nothing', async () => {
      const repository = new InMemoryDataRepository();
      jest.spyOn(repository, 'saveAll').mockResolvedValue({ kind: 'mismatch' });
      const records = recordsOf({ partnerId: 'acme', payload: { a: 1 } });

      await expect(
        committerWith(repository).commit('ingest', records, {}, KEY, Principal.open()),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      await flushPromises();

      expect(published).toEqual([]);
    });

    it('lets exactly one of several concurrent identical requests save; the others replay its view', async () => {
      const repository = new InMemoryDataRepository();
      const committer = committerWith(repository);
      const attempts = Array.from({ length: 5 }, () => recordsOf({ partnerId: 'acme', payload: { a: 1 } }));

      const results = await Promise.all(
        attempts.map((records) => committer.commit('ingest', records, receiptOf(records[0]), KEY, Principal.open())),
      );
      await flushPromises();

      const saved = results.filter((result) => !result.replayed);
      expect(saved).toHaveLength(1);
      for (const result of results) expect(result.view).toEqual(saved[0].view);
      expect(repository.size).toBe(1);
      expect(published).toHaveLength(1);
      expect(published[0]).toEqual(new DataIngested(saved[0].view.id, 'acme', saved[0].view.timestamp));
    });

    it('keeps the keys of different partners apart', async () => {
      const repository = new InMemoryDataRepository();
      const committer = committerWith(repository);
      const acme = recordsOf({ partnerId: 'acme', payload: { a: 1 } });
      const globex = recordsOf({ partnerId: 'globex', payload: { a: 2 } });

      const first = await committer.commit('ingest', acme, receiptOf(acme[0]), KEY, Principal.open());
      const second = await committer.commit('ingest', globex, receiptOf(globex[0]), KEY, Principal.open());

      expect(first.replayed).toBe(false);
      expect(second).toEqual({ view: receiptOf(globex[0]), replayed: false });
      expect(repository.size).toBe(2);
      expect(repository.claimCount).toBe(2);
      expect(published).toEqual([...eventsOf(acme), ...eventsOf(globex)]);
    });

    it('refuses a key used for a single ingest when it comes back on a batch of the same record', async () => {
      const repository = new InMemoryDataRepository();
      const committer = committerWith(repository);
      const single = recordsOf({ partnerId: 'acme', payload: { a: 1 } });
      await committer.commit('ingest', single, receiptOf(single[0]), KEY, Principal.open());

      const batch = recordsOf({ partnerId: 'acme', payload: { a: 1 } });
      await expect(
        committer.commit('ingest-batch', batch, { records: batch.map(receiptOf) }, KEY, Principal.open()),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      expect(repository.size).toBe(1);
    });

    describe('scope', () => {
      it('is the sha256 of the sorted, distinct partner ids joined by newlines', async () => {
        const claim = await claimFor(
          'ingest-batch',
          recordsOf(
            { partnerId: 'globex', payload: {} },
            { partnerId: 'acme', payload: {} },
            { partnerId: 'globex', payload: {} },
          ),
        );

        expect(claim.scope).toBe(sha256('acme\nglobex'));
      });

      it('is the same for the same set of partners in any order and any number', async () => {
        const one = await claimFor(
          'ingest-batch',
          recordsOf({ partnerId: 'acme', payload: { n: 0 } }, { partnerId: 'globex', payload: { n: 1 } }),
        );
        const other = await claimFor(
          'ingest-batch',
          recordsOf(
            { partnerId: 'globex', payload: { n: 5 } },
            { partnerId: 'globex', payload: { n: 6 } },
            { partnerId: 'acme', payload: { n: 7 } },
          ),
        );

        expect(other.scope).toBe(one.scope);
      });

      it('differs for a different set of partners', async () => {
        const both = await claimFor(
          'ingest-batch',
          recordsOf({ partnerId: 'acme', payload: {} }, { partnerId: 'globex', payload: {} }),
        );
        const acmeOnly = await claimFor(
          'ingest-batch',
          recordsOf({ partnerId: 'acme', payload: {} }, { partnerId: 'acme', payload: {} }),
        );
        const three = await claimFor(
          'ingest-batch',
          recordsOf(
            { partnerId: 'acme', payload: {} },
            { partnerId: 'globex', payload: {} },
            { partnerId: 'initech', payload: {} },
          ),
        );

        expect(new Set([both.scope, acmeOnly.scope, three.scope]).size).toBe(3);
        expect(acmeOnly.scope).toBe(sha256('acme'));
      });
    });

    describe('fingerprint', () => {
      it('is the same for a retry of the same request, whatever ids and times its records got', async () => {
        const first = await claimFor('ingest', recordsOf({ partnerId: 'acme', payload: { a: 1, b: [true] } }));
        const retry = await claimFor('ingest', [
          IngestedDataMother.ingested({
            partnerId: 'acme',
            payload: { a: 1, b: [true] },
            timestamp: '2030-01-01T00:00:00.000Z',
          }),
        ]);

        expect(retry.fingerprint).toBe(first.fingerprint);
      });

      it("differs between the operations 'ingest' and 'ingest-batch' for the same record", async () => {
        const single = await claimFor('ingest', recordsOf({ partnerId: 'acme', payload: { a: 1 } }));
        const batch = await claimFor('ingest-batch', recordsOf({ partnerId: 'acme', payload: { a: 1 } }));

        expect(batch.scope).toBe(single.scope);
        expect(batch.fingerprint).not.toBe(single.fingerprint);
      });

      it('differs when only the key order of a payload differs', async () => {
        const ab = await claimFor('ingest', recordsOf({ partnerId: 'acme', payload: { a: 1, b: 2 } }));
        const ba = await claimFor('ingest', recordsOf({ partnerId: 'acme', payload: { b: 2, a: 1 } }));

        expect(ba.fingerprint).not.toBe(ab.fingerprint);
      });

      it('follows the payload text as the partner wrote it: integer-like keys keep their order', async () => {
        const factory = new IngestedDataFactory();
        const written = (payloadText: string): IngestedData =>
          factory.create({ partnerId: 'acme', payload: JSON.parse(payloadText), payloadText });

        const letterFirst = await claimFor('ingest', [written('{"b":1,"2":2}')]);
        const digitFirst = await claimFor('ingest', [written('{"2":2,"b":1}')]);

        expect(digitFirst.fingerprint).not.toBe(letterFirst.fingerprint);
      });

      it('ignores the whitespace between JSON tokens', async () => {
        const factory = new IngestedDataFactory();
        const written = (payloadText: string): IngestedData =>
          factory.create({ partnerId: 'acme', payload: JSON.parse(payloadText), payloadText });

        const compact = await claimFor('ingest', [written('{"b":1,"2":[2,"x y"]}')]);
        const spaced = await claimFor('ingest', [written('{ "b" : 1 ,\n "2" : [ 2 , "x y" ] }')]);

        expect(spaced.fingerprint).toBe(compact.fingerprint);
      });

      it('differs when a value of a payload differs', async () => {
        const one = await claimFor('ingest', recordsOf({ partnerId: 'acme', payload: { a: 1 } }));
        const two = await claimFor('ingest', recordsOf({ partnerId: 'acme', payload: { a: '1' } }));

        expect(two.fingerprint).not.toBe(one.fingerprint);
      });

      it('differs when the records of a batch come in another order', async () => {
        const inOrder = await claimFor(
          'ingest-batch',
          recordsOf({ partnerId: 'acme', payload: { n: 0 } }, { partnerId: 'acme', payload: { n: 1 } }),
        );
        const swapped = await claimFor(
          'ingest-batch',
          recordsOf({ partnerId: 'acme', payload: { n: 1 } }, { partnerId: 'acme', payload: { n: 0 } }),
        );

        expect(swapped.fingerprint).not.toBe(inOrder.fingerprint);
      });

      it('differs when the same payloads, in the same order, go to other partners within the same scope', async () => {
        const one = await claimFor(
          'ingest-batch',
          recordsOf({ partnerId: 'acme', payload: { a: 1 } }, { partnerId: 'globex', payload: { b: 1 } }),
        );
        const other = await claimFor(
          'ingest-batch',
          recordsOf({ partnerId: 'globex', payload: { a: 1 } }, { partnerId: 'acme', payload: { b: 1 } }),
        );

        expect(other.scope).toBe(one.scope);
        expect(other.fingerprint).not.toBe(one.fingerprint);
      });
    });

    describe('expiry', () => {
      it('saves anew over an expired claim on the key, and the new claim takes its place', async () => {
        const repository = new InMemoryDataRepository();
        await repository.saveAll(
          [],
          IdempotencyClaimMother.expired({ key: KEY.value, fingerprint: 'earlier request' }),
        );
        const committer = committerWith(repository);
        const records = recordsOf({ partnerId: 'acme', payload: { a: 1 } });
        const view = receiptOf(records[0]);

        const result = await committer.commit('ingest', records, view, KEY, Principal.open());

        expect(result).toEqual({ view, replayed: false });
        expect(repository.has(records[0].id.value)).toBe(true);
        expect(published).toEqual(eventsOf(records));
        const stored = repository.claimFor(sha256('acme'), KEY.value);
        expect(stored?.fingerprint).not.toBe('earlier request');
        expect(stored?.response.body).toBe(JSON.stringify(view));

        const retry = recordsOf({ partnerId: 'acme', payload: { a: 1 } });
        expect(await committer.commit('ingest', retry, receiptOf(retry[0]), KEY, Principal.open())).toEqual({
          view,
          replayed: true,
        });
      });

      it('refuses the same request while that earlier claim is still live', async () => {
        const repository = new InMemoryDataRepository();
        await repository.saveAll([], IdempotencyClaimMother.live({ key: KEY.value, fingerprint: 'earlier request' }));
        const records = recordsOf({ partnerId: 'acme', payload: { a: 1 } });

        await expect(
          committerWith(repository).commit('ingest', records, {}, KEY, Principal.open()),
        ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
        expect(repository.size).toBe(0);
        expect(published).toEqual([]);
      });

      it('saves a retry again once the first claim has expired (a policy that keeps keys for no time)', async () => {
        // Both requests at one instant: a claim that expires at its creation is no longer live then.
        freezeClockAt('2026-11-29T12:00:00.000Z');
        const repository = new InMemoryDataRepository();
        const committer = committerWith(repository, new IdempotencyPolicy(0));
        const first = recordsOf({ partnerId: 'acme', payload: { a: 1 } });
        const retry = recordsOf({ partnerId: 'acme', payload: { a: 1 } });

        const one = await committer.commit('ingest', first, receiptOf(first[0]), KEY, Principal.open());
        const two = await committer.commit('ingest', retry, receiptOf(retry[0]), KEY, Principal.open());

        expect(one.replayed).toBe(false);
        expect(two).toEqual({ view: receiptOf(retry[0]), replayed: false });
        expect(repository.size).toBe(2);
        expect(repository.claimCount).toBe(1);
        expect(published).toEqual([...eventsOf(first), ...eventsOf(retry)]);
        expect(repository.claimFor(sha256('acme'), KEY.value)?.response.body).toBe(JSON.stringify(receiptOf(retry[0])));
      });
    });

    it('leaves the key unused when saving fails, so that a retry saves', async () => {
      const failure = new Error('disk full');
      const repository = new FlakyDataRepository(1, failure);
      const committer = committerWith(repository);
      const first = recordsOf({ partnerId: 'acme', payload: { n: 0 } }, { partnerId: 'acme', payload: { n: 1 } });

      await expect(
        committer.commit('ingest-batch', first, { records: first.map(receiptOf) }, KEY, Principal.open()),
      ).rejects.toBe(failure);
      await flushPromises();
      expect(published).toEqual([]);
      expect(repository.size).toBe(0);
      expect(repository.claimCount).toBe(0);

      const retry = recordsOf({ partnerId: 'acme', payload: { n: 0 } }, { partnerId: 'acme', payload: { n: 1 } });
      const result = await committer.commit(
        'ingest-batch',
        retry,
        { records: retry.map(receiptOf) },
        KEY,
        Principal.open(),
      );

      expect(result).toEqual({ view: { records: retry.map(receiptOf) }, replayed: false });
      expect(repository.size).toBe(2);
      expect(published).toEqual(eventsOf(retry));
    });
  });

  describe('metrics', () => {
    it('reports each committed record with its payload size in UTF-8 bytes, in order', async () => {
      const records = recordsOf(
        { partnerId: 'acme', payload: { n: 1 } },
        { partnerId: 'acme', payload: { note: 'héllo ✓' } },
      );

      await committerWith(new InMemoryDataRepository()).commit(
        'ingest-batch',
        records,
        {},
        undefined,
        Principal.open(),
      );

      expect(metrics.records).toBe(2);
      expect(metrics.payloadBytes).toEqual([
        Buffer.byteLength('{"n":1}'),
        Buffer.byteLength('{"note":"héllo ✓"}', 'utf8'),
      ]);
    });

    it('reports a single record, and the first request with a key', async () => {
      const repository = new InMemoryDataRepository();
      await committerWith(repository).commit(
        'ingest',
        recordsOf({ partnerId: 'acme', payload: {} }),
        {},
        undefined,
        Principal.open(),
      );
      await committerWith(repository).commit(
        'ingest',
        recordsOf({ partnerId: 'acme', payload: { k: 1 } }),
        {},
        KEY,
        Principal.open(),
      );

      expect(metrics.payloadBytes).toEqual([2, 7]);
    });

    it('reports nothing for a replay, a reused key or a failed save', async () => {
      const repository = new InMemoryDataRepository();
      const spec = { partnerId: 'acme', payload: { n: 0 } };
      await committerWith(repository).commit('ingest', recordsOf(spec), {}, KEY, Principal.open());
      metrics = new RecordingIngestionMetrics();

      await committerWith(repository).commit('ingest', recordsOf(spec), {}, KEY, Principal.open());
      await expect(
        committerWith(repository).commit(
          'ingest',
          recordsOf({ ...spec, payload: { n: 1 } }),
          {},
          KEY,
          Principal.open(),
        ),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      await expect(
        committerWith(new FlakyDataRepository(1, new Error('disk full'))).commit(
          'ingest-batch',
          recordsOf(spec, spec),
          {},
          undefined,
          Principal.open(),
        ),
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
