import { EventPublisher, IEvent } from '@nestjs/cqrs';
import { createHash } from 'node:crypto';
import { InMemoryDataRepository } from '../../../../test/fakes/in-memory-data.repository';
import { RecordingIngestionMetrics } from '../../../../test/fakes/recording-ingestion.metrics';
import { RecordedEventBus, useRecordedEventBus } from '../../../../test/support/recorded-event-bus';
import { flushPromises } from '../../../../test/support/timing';
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
  InvalidBatchError,
  InvalidIdempotencyKeyError,
} from '../../domain/ingestion.errors';
import { JsonText } from '../../domain/json-text';
import type { BatchReceiptView } from '../views/batch-receipt.view';
import { IngestDataBatchCommand } from './ingest-data-batch.command';
import { IngestDataBatchHandler } from './ingest-data-batch.handler';
import { IngestDataCommand } from './ingest-data.command';
import { IngestDataHandler } from './ingest-data.handler';
import { Principal } from '../../../access/domain/principal.value-object';
import { PrincipalMother } from '../../../../test/mothers/principal.mother';
import { PartnerAccessDeniedError } from '../../../access/domain/access.errors';

const RECEIVED_AT = '2026-11-29T10:31:05.123Z';
const EVENT_CHUNK = IngestDataBatchHandler.EVENT_CHUNK;

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

/** A record as the request holds it. */
interface WireRecord {
  partner_id?: unknown;
  payload?: unknown;
  [other: string]: unknown;
}

const THREE_RECORDS: WireRecord[] = [
  { partner_id: 'acme', payload: { n: 0 } },
  { partner_id: 'globex', payload: { n: 1 } },
  { partner_id: 'acme', payload: PayloadMother.reading() },
];

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function eventsOf(view: BatchReceiptView): DataIngested[] {
  return view.records.map((receipt) => new DataIngested(receipt.id, receipt.partner_id, receipt.timestamp));
}

describe('IngestDataBatchHandler', () => {
  let publisher: EventPublisher;
  let published: IEvent[];
  let observe: RecordedEventBus['observe'];
  let metrics: RecordingIngestionMetrics;
  const factory = new IngestedDataFactory(
    { maxBytes: 1_000, maxDepth: 32, maxBatchRecords: 5 },
    () => new Date(RECEIVED_AT),
  );

  const handlerWith = (repository: DataRepository, batchFactory = factory): IngestDataBatchHandler =>
    new IngestDataBatchHandler(batchFactory, repository, publisher, new IdempotencyPolicy(24), metrics);

  const batch = (records: readonly unknown[], key?: string): IngestDataBatchCommand =>
    new IngestDataBatchCommand(Principal.open(), records, [], key);

  useRecordedEventBus((bus) => ({ publisher, published, observe } = bus));

  beforeEach(() => {
    metrics = new RecordingIngestionMetrics();
  });

  it('saves every record and answers one receipt per record, in request order', async () => {
    const repository = new InMemoryDataRepository();

    const result = await handlerWith(repository).execute(batch(THREE_RECORDS));

    expect(result.replayed).toBe(false);
    expect(Object.keys(result.view)).toEqual(['records']);
    expect(result.view.records).toEqual([
      { id: expect.any(String), partner_id: 'acme', timestamp: RECEIVED_AT },
      { id: expect.any(String), partner_id: 'globex', timestamp: RECEIVED_AT },
      { id: expect.any(String), partner_id: 'acme', timestamp: RECEIVED_AT },
    ]);
    for (const receipt of result.view.records) {
      expect(Object.keys(receipt).sort()).toEqual(['id', 'partner_id', 'timestamp']);
      expect(DataId.isValid(receipt.id)).toBe(true);
    }
    const ids = result.view.records.map((receipt) => receipt.id);
    expect([...ids].sort()).toEqual(ids);
    expect(repository.size).toBe(3);
    const stored = await Promise.all(ids.map((id) => repository.findById(DataId.create(id))));
    expect(stored.map((record) => record?.payload.json)).toEqual([
      '{"n":0}',
      '{"n":1}',
      JSON.stringify(PayloadMother.reading()),
    ]);
    expect(repository.claimCount).toBe(0);
  });

  it('saves all the records in one save call, without a claim', async () => {
    const repository = new InMemoryDataRepository();
    const save = jest.spyOn(repository, 'save');

    const { view } = await handlerWith(repository).execute(batch(THREE_RECORDS));

    expect(save).toHaveBeenCalledTimes(1);
    const [records, claim] = save.mock.calls[0];
    expect(records.map((record) => record.id.value)).toEqual(view.records.map((receipt) => receipt.id));
    expect(claim).toBeUndefined();
    expect(repository.claimCount).toBe(0);
  });

  it('publishes one DataIngested per record, in request order, once all are stored', async () => {
    const repository = new InMemoryDataRepository();
    const storedWhenPublished: number[] = [];
    observe(() => storedWhenPublished.push(repository.size));

    const { view } = await handlerWith(repository).execute(batch(THREE_RECORDS));

    expect(published).toEqual(
      view.records.map((receipt) => new DataIngested(receipt.id, receipt.partner_id, RECEIVED_AT)),
    );
    expect(storedWhenPublished).toEqual([3, 3, 3]);
  });

  it('publishes nothing until the save has resolved, and then only stored records', async () => {
    const repository = new HeldSaveDataRepository();
    const storedWhenPublished: boolean[] = [];
    observe((event) => {
      storedWhenPublished.push(repository.has((event as DataIngested).dataId));
    });

    const execution = handlerWith(repository).execute(batch(THREE_RECORDS.slice(0, 2)));
    await repository.saveStarted;
    await flushPromises();

    expect(published).toEqual([]);
    expect(repository.size).toBe(0);

    repository.release();
    const { view } = await execution;

    expect(published).toEqual(eventsOf(view));
    expect(storedWhenPublished).toEqual([true, true]);
  });

  it('saves a batch of one record', async () => {
    const repository = new InMemoryDataRepository();

    const { view } = await handlerWith(repository).execute(batch([{ partner_id: 'acme', payload: { a: 1 } }]));

    expect(view.records).toHaveLength(1);
    expect(repository.has(view.records[0].id)).toBe(true);
    expect(published).toEqual([new DataIngested(view.records[0].id, 'acme', RECEIVED_AT)]);
  });

  it('keeps each payload as the partner wrote it, key order included', async () => {
    const repository = new InMemoryDataRepository();
    const payloadText = '{"b": 1, "2": "two", "a": 3}';

    const { view } = await handlerWith(repository).execute(
      new IngestDataBatchCommand(
        Principal.open(),
        [{ partner_id: 'acme', payload: JSON.parse(payloadText) }],
        [JsonText.scan(payloadText)],
      ),
    );

    const stored = await repository.findById(DataId.create(view.records[0].id));
    expect(stored?.payload.json).toBe('{"b":1,"2":"two","a":3}');
  });

  it('rejects the whole batch when one record is invalid, naming it; nothing is saved or published', async () => {
    const repository = new InMemoryDataRepository();
    const records: WireRecord[] = [
      { partner_id: 'acme', payload: { n: 0 } },
      { partner_id: 'acme', payload: { n: 1 } },
      { partner_id: 'acme', payload: 'not an object' },
      { partner_id: 'bad/partner', payload: PayloadMother.ofSerializedBytes(1_001) },
    ];

    const execution = handlerWith(repository).execute(batch(records));

    await expect(execution).rejects.toBeInstanceOf(InvalidBatchError);
    const error = (await execution.catch((caught: unknown) => caught)) as InvalidBatchError;
    expect(error.errors.map((problem) => problem.field)).toEqual([
      'records[2].payload',
      'records[3].partner_id',
      'records[3].payload',
    ]);
    await flushPromises();
    expect(repository.size).toBe(0);
    expect(published).toEqual([]);
  });

  it('reports the shape problems of the records together with their value problems, in record order, saving nothing', async () => {
    const repository = new InMemoryDataRepository();
    const command = batch([
      { partner_id: 'acme', payload: { n: 0 }, extra: 1 },
      null,
      { partner_id: 'acme', payload: 'text' },
    ]);

    const error = (await handlerWith(repository)
      .execute(command)
      .catch((caught: unknown) => caught)) as InvalidBatchError;

    expect(error).toBeInstanceOf(InvalidBatchError);
    expect(error.errors).toEqual([
      { field: 'records[0].extra', message: 'extra is not a known field' },
      { field: 'records[1]', message: 'each record must be a JSON object' },
      { field: 'records[2].payload', message: expect.any(String) },
    ]);
    expect(repository.size).toBe(0);
    expect(published).toEqual([]);
  });

  it.each([
    ['no records', 0],
    ['more than maxBatchRecords', 6],
  ])('rejects a batch of %s', async (_case, count) => {
    const repository = new InMemoryDataRepository();
    const records = Array.from({ length: count }, (_, n) => ({ partner_id: 'acme', payload: { n } }));

    await expect(handlerWith(repository).execute(batch(records))).rejects.toMatchObject({
      code: 'invalid-batch',
      field: 'records',
    });
    expect(repository.size).toBe(0);
    expect(published).toEqual([]);
  });

  it('publishes nothing and passes the error on when saving fails', async () => {
    const failure = new Error('disk full');

    await expect(handlerWith(new FailingDataRepository(failure)).execute(batch(THREE_RECORDS))).rejects.toBe(failure);
    await flushPromises();

    expect(published).toEqual([]);
  });

  describe('events', () => {
    const manyFactory = new IngestedDataFactory(
      { maxBytes: 1_000, maxDepth: 32, maxBatchRecords: 1_000 },
      () => new Date(RECEIVED_AT),
    );
    const recordsOf = (count: number): WireRecord[] =>
      Array.from({ length: count }, (_, n) => ({ partner_id: 'acme', payload: { n } }));

    /** How many events were out each time the event loop got a turn, asked for at every `every`-th event. */
    function eventsSeenByTurnsAskedEvery(every: number): number[] {
      const seen: number[] = [];
      let count = 0;
      observe(() => {
        count += 1;
        if (count % every === 0) setImmediate(() => seen.push(published.length));
      });
      return seen;
    }

    it('goes out in chunks of EVENT_CHUNK (50), giving the event loop a turn between two chunks', async () => {
      const seen = eventsSeenByTurnsAskedEvery(EVENT_CHUNK);

      const { view } = await handlerWith(new InMemoryDataRepository(), manyFactory).execute(
        batch(recordsOf(2 * EVENT_CHUNK + 20)),
      );

      expect(EVENT_CHUNK).toBe(50);
      expect(seen).toEqual([EVENT_CHUNK, 2 * EVENT_CHUNK]);
      expect(published).toEqual(eventsOf(view));
    });

    it('lets a callback queued with the first event run only after the whole first chunk, and before the rest', async () => {
      let seenAtFirstTurn: number | undefined;
      observe(() => {
        if (published.length === 1) setImmediate(() => (seenAtFirstTurn = published.length));
      });

      await handlerWith(new InMemoryDataRepository(), manyFactory).execute(batch(recordsOf(EVENT_CHUNK + 1)));

      expect(seenAtFirstTurn).toBe(EVENT_CHUNK);
      expect(published).toHaveLength(EVENT_CHUNK + 1);
    });

    it('publishes a batch of EVENT_CHUNK records without yielding', async () => {
      let seenAtFirstTurn: number | undefined;
      observe(() => {
        if (published.length === 1) setImmediate(() => (seenAtFirstTurn = published.length));
      });

      await handlerWith(new InMemoryDataRepository(), manyFactory).execute(batch(recordsOf(EVENT_CHUNK)));
      await flushPromises();

      expect(seenAtFirstTurn).toBe(EVENT_CHUNK);
    });
  });

  describe('with an Idempotency-Key', () => {
    it('saves the batch with its key the first time', async () => {
      const repository = new InMemoryDataRepository();

      const result = await handlerWith(repository).execute(batch(THREE_RECORDS, 'batch-1'));

      expect(result.replayed).toBe(false);
      expect(repository.size).toBe(3);
      expect(repository.claimCount).toBe(1);
      expect(published).toHaveLength(3);
    });

    it('saves the records and a claim in one save: scoped by the partners, answering the batch receipt', async () => {
      const repository = new InMemoryDataRepository();
      const save = jest.spyOn(repository, 'save');

      const { view } = await handlerWith(repository).execute(batch(THREE_RECORDS, 'batch-1'));

      expect(save).toHaveBeenCalledTimes(1);
      const claim = save.mock.calls[0][1];
      expect(claim).toMatchObject({
        scope: sha256('acme\nglobex'),
        key: expect.objectContaining({ value: 'batch-1' }),
        response: { status: 201, body: JSON.stringify(view) },
      });
      expect(repository.claimFor(sha256('acme\nglobex'), 'batch-1')).toBe(claim);
    });

    it('answers a retry with the first receipts, saving and publishing nothing more', async () => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);
      const first = await handler.execute(batch(THREE_RECORDS, 'batch-1'));

      const retry = await handler.execute(batch(THREE_RECORDS, 'batch-1'));
      await flushPromises();

      expect(retry).toEqual({ view: first.view, replayed: true });
      expect(repository.size).toBe(3);
      expect(published).toHaveLength(3);
    });

    it('refuses the same key with a changed batch', async () => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);
      await handler.execute(batch(THREE_RECORDS, 'batch-1'));
      const changed = [...THREE_RECORDS.slice(0, 2), { partner_id: 'acme', payload: { changed: true } }];

      await expect(handler.execute(batch(changed, 'batch-1'))).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      expect(repository.size).toBe(3);
      expect(published).toHaveLength(3);
    });

    it('treats a batch as another request than a single ingest of the same record under the same key', async () => {
      const repository = new InMemoryDataRepository();
      await new IngestDataHandler(factory, repository, publisher, new IdempotencyPolicy(24), metrics).execute(
        new IngestDataCommand(Principal.open(), 'acme', { a: 1 }, 'shared-key'),
      );

      await expect(
        handlerWith(repository).execute(batch([{ partner_id: 'acme', payload: { a: 1 } }], 'shared-key')),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      expect(repository.size).toBe(1);
      expect(published).toHaveLength(1);
    });

    it('leaves the key unused when saving fails, so that a retry saves', async () => {
      const failure = new Error('disk full');
      const repository = new FailingDataRepository(failure, 1);
      const handler = handlerWith(repository);
      const records = THREE_RECORDS.slice(0, 2);

      await expect(handler.execute(batch(records, 'batch-1'))).rejects.toBe(failure);
      await flushPromises();
      expect(published).toEqual([]);
      expect(repository.size).toBe(0);
      expect(repository.claimCount).toBe(0);

      const retry = await handler.execute(batch(records, 'batch-1'));

      expect(retry.replayed).toBe(false);
      expect(repository.size).toBe(2);
      expect(repository.claimCount).toBe(1);
      expect(published).toEqual(eventsOf(retry.view));
    });

    it('checks the key before the records: an invalid key wins over an invalid batch', async () => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);

      await expect(handler.execute(batch(THREE_RECORDS, ''))).rejects.toBeInstanceOf(InvalidIdempotencyKeyError);
      await expect(handler.execute(batch([], 'bad\u0001key'))).rejects.toBeInstanceOf(InvalidIdempotencyKeyError);
      expect(repository.size).toBe(0);
      expect(repository.claimCount).toBe(0);
      expect(published).toEqual([]);
    });
  });

  describe('with an API key', () => {
    it('refuses (403) a whole batch when one record names another partner, saving nothing', async () => {
      const repository = new InMemoryDataRepository();
      const records = [
        { partner_id: 'acme', payload: { n: 1 } },
        { partner_id: 'globex', payload: { n: 2 } },
        { partner_id: 'acme', payload: { n: 3 } },
      ];

      await expect(
        handlerWith(repository).execute(new IngestDataBatchCommand(PrincipalMother.partner('acme'), records, [], 'k')),
      ).rejects.toBeInstanceOf(PartnerAccessDeniedError);

      expect(repository.size).toBe(0);
      expect(repository.claimCount).toBe(0);
    });

    it("saves a partner key's batch of its own records, and an admin key's batch of several partners", async () => {
      const repository = new InMemoryDataRepository();
      const own = [
        { partner_id: 'acme', payload: {} },
        { partner_id: 'acme', payload: {} },
      ];
      await handlerWith(repository).execute(new IngestDataBatchCommand(PrincipalMother.partner('acme'), own));
      await handlerWith(repository).execute(new IngestDataBatchCommand(PrincipalMother.admin(), THREE_RECORDS));
      expect(repository.size).toBe(2 + THREE_RECORDS.length);
    });
  });

  describe('metrics', () => {
    it('reports each committed record with its payload size in UTF-8 bytes, in order', async () => {
      await handlerWith(new InMemoryDataRepository()).execute(
        batch([
          { partner_id: 'acme', payload: { n: 1 } },
          { partner_id: 'acme', payload: { note: 'héllo ✓' } },
        ]),
      );

      expect(metrics.records).toBe(2);
      expect(metrics.payloadBytes).toEqual([
        Buffer.byteLength('{"n":1}'),
        Buffer.byteLength('{"note":"héllo ✓"}', 'utf8'),
      ]);
    });

    it('reports nothing for a replay, a reused key or a failed save', async () => {
      const repository = new InMemoryDataRepository();
      await handlerWith(repository).execute(batch(THREE_RECORDS, 'batch-1'));
      metrics = new RecordingIngestionMetrics();

      await handlerWith(repository).execute(batch(THREE_RECORDS, 'batch-1'));
      await expect(handlerWith(repository).execute(batch(THREE_RECORDS.slice(1), 'batch-1'))).rejects.toBeInstanceOf(
        IdempotencyKeyReusedError,
      );
      await expect(
        handlerWith(new FailingDataRepository(new Error('disk full'))).execute(batch(THREE_RECORDS)),
      ).rejects.toThrow('disk full');

      expect(metrics.records).toBe(0);
    });
  });
});
