import { EventPublisher, IEvent } from '@nestjs/cqrs';
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
import { IngestDataInput, IngestedDataFactory } from '../../domain/ingested-data.factory';
import {
  IdempotencyKeyReusedError,
  InvalidBatchError,
  InvalidIdempotencyKeyError,
} from '../../domain/ingestion.errors';
import { IngestDataBatchCommand } from './ingest-data-batch.command';
import { IngestDataBatchHandler } from './ingest-data-batch.handler';
import { IngestDataCommand } from './ingest-data.command';
import { IngestDataHandler } from './ingest-data.handler';
import { IngestionCommitter } from './ingestion.committer';
import { Principal } from '../../../access/domain/principal.value-object';
import { PrincipalMother } from '../../../../test/mothers/principal.mother';
import { PartnerAccessDeniedError } from '../../../access/domain/access.errors';

const RECEIVED_AT = '2026-11-29T10:31:05.123Z';

class FailingSaveAllDataRepository extends InMemoryDataRepository {
  constructor(private readonly failure: Error) {
    super();
  }

  async saveAll(_records: IngestedData[], _claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    throw this.failure;
  }
}

const THREE_RECORDS: IngestDataInput[] = [
  { partnerId: 'acme', payload: { n: 0 } },
  { partnerId: 'globex', payload: { n: 1 } },
  { partnerId: 'acme', payload: PayloadMother.reading() },
];

describe('IngestDataBatchHandler', () => {
  let publisher: EventPublisher;
  let published: IEvent[];
  let observe: RecordedEventBus['observe'];
  const factory = new IngestedDataFactory(
    { maxBytes: 1_000, maxDepth: 32, maxBatchRecords: 5 },
    () => new Date(RECEIVED_AT),
  );

  const handlerWith = (repository: DataRepository): IngestDataBatchHandler =>
    new IngestDataBatchHandler(
      factory,
      new IngestionCommitter(repository, publisher, new IdempotencyPolicy(24), new RecordingIngestionMetrics()),
    );

  useRecordedEventBus((bus) => ({ publisher, published, observe } = bus));

  it('saves every record and answers one receipt per record, in request order', async () => {
    const repository = new InMemoryDataRepository();

    const result = await handlerWith(repository).execute(new IngestDataBatchCommand(Principal.open(), THREE_RECORDS));

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

  it('publishes one DataIngested per record, in request order, once all are stored', async () => {
    const repository = new InMemoryDataRepository();
    const storedWhenPublished: number[] = [];
    observe(() => storedWhenPublished.push(repository.size));

    const { view } = await handlerWith(repository).execute(new IngestDataBatchCommand(Principal.open(), THREE_RECORDS));

    expect(published).toEqual(
      view.records.map((receipt) => new DataIngested(receipt.id, receipt.partner_id, RECEIVED_AT)),
    );
    expect(storedWhenPublished).toEqual([3, 3, 3]);
  });

  it('saves a batch of one record', async () => {
    const repository = new InMemoryDataRepository();

    const { view } = await handlerWith(repository).execute(
      new IngestDataBatchCommand(Principal.open(), [{ partnerId: 'acme', payload: { a: 1 } }]),
    );

    expect(view.records).toHaveLength(1);
    expect(repository.has(view.records[0].id)).toBe(true);
    expect(published).toEqual([new DataIngested(view.records[0].id, 'acme', RECEIVED_AT)]);
  });

  it('keeps each payload as the partner wrote it, key order included', async () => {
    const repository = new InMemoryDataRepository();
    const payloadText = '{"b": 1, "2": "two", "a": 3}';

    const { view } = await handlerWith(repository).execute(
      new IngestDataBatchCommand(Principal.open(), [
        { partnerId: 'acme', payload: JSON.parse(payloadText), payloadText },
      ]),
    );

    const stored = await repository.findById(DataId.create(view.records[0].id));
    expect(stored?.payload.json).toBe('{"b":1,"2":"two","a":3}');
  });

  it('rejects the whole batch when one record is invalid, naming it; nothing is saved or published', async () => {
    const repository = new InMemoryDataRepository();
    const records: IngestDataInput[] = [
      { partnerId: 'acme', payload: { n: 0 } },
      { partnerId: 'acme', payload: { n: 1 } },
      { partnerId: 'acme', payload: 'not an object' },
      { partnerId: 'bad/partner', payload: PayloadMother.ofSerializedBytes(1_001) },
    ];

    const execution = handlerWith(repository).execute(new IngestDataBatchCommand(Principal.open(), records));

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

  it('reports the shape problems the transport found together with the value problems, saving nothing', async () => {
    const repository = new InMemoryDataRepository();
    const command = new IngestDataBatchCommand(
      Principal.open(),
      [{ partnerId: 'acme', payload: { n: 0 } }, null, { partnerId: 'acme', payload: 'text' }],
      undefined,
      [
        { field: 'records[1]', message: 'each record must be a JSON object' },
        { field: 'records[0].extra', message: 'extra is not a known field' },
      ],
    );

    const error = (await handlerWith(repository)
      .execute(command)
      .catch((caught: unknown) => caught)) as InvalidBatchError;

    expect(error).toBeInstanceOf(InvalidBatchError);
    expect(error.errors.map((problem) => problem.field)).toEqual([
      'records[0].extra',
      'records[1]',
      'records[2].payload',
    ]);
    expect(repository.size).toBe(0);
    expect(published).toEqual([]);
  });

  it.each([
    ['no records', 0],
    ['more than maxBatchRecords', 6],
  ])('rejects a batch of %s', async (_case, count) => {
    const repository = new InMemoryDataRepository();
    const records = Array.from({ length: count }, (_, n) => ({ partnerId: 'acme', payload: { n } }));

    await expect(
      handlerWith(repository).execute(new IngestDataBatchCommand(Principal.open(), records)),
    ).rejects.toMatchObject({
      code: 'invalid-batch',
      field: 'records',
    });
    expect(repository.size).toBe(0);
    expect(published).toEqual([]);
  });

  it('publishes nothing and passes the error on when saving fails', async () => {
    const failure = new Error('disk full');

    await expect(
      handlerWith(new FailingSaveAllDataRepository(failure)).execute(
        new IngestDataBatchCommand(Principal.open(), THREE_RECORDS),
      ),
    ).rejects.toBe(failure);
    await flushPromises();

    expect(published).toEqual([]);
  });

  describe('with an Idempotency-Key', () => {
    it('saves the batch with its key the first time', async () => {
      const repository = new InMemoryDataRepository();

      const result = await handlerWith(repository).execute(
        new IngestDataBatchCommand(Principal.open(), THREE_RECORDS, 'batch-1'),
      );

      expect(result.replayed).toBe(false);
      expect(repository.size).toBe(3);
      expect(repository.claimCount).toBe(1);
      expect(published).toHaveLength(3);
    });

    it('answers a retry with the first receipts, saving and publishing nothing more', async () => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);
      const first = await handler.execute(new IngestDataBatchCommand(Principal.open(), THREE_RECORDS, 'batch-1'));

      const retry = await handler.execute(new IngestDataBatchCommand(Principal.open(), THREE_RECORDS, 'batch-1'));
      await flushPromises();

      expect(retry).toEqual({ view: first.view, replayed: true });
      expect(repository.size).toBe(3);
      expect(published).toHaveLength(3);
    });

    it('refuses the same key with a changed batch', async () => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);
      await handler.execute(new IngestDataBatchCommand(Principal.open(), THREE_RECORDS, 'batch-1'));
      const changed = [...THREE_RECORDS.slice(0, 2), { partnerId: 'acme', payload: { changed: true } }];

      await expect(
        handler.execute(new IngestDataBatchCommand(Principal.open(), changed, 'batch-1')),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      expect(repository.size).toBe(3);
      expect(published).toHaveLength(3);
    });

    it('treats a batch as another request than a single ingest of the same record under the same key', async () => {
      const repository = new InMemoryDataRepository();
      const committer = new IngestionCommitter(
        repository,
        publisher,
        new IdempotencyPolicy(24),
        new RecordingIngestionMetrics(),
      );
      await new IngestDataHandler(factory, committer).execute(
        new IngestDataCommand(Principal.open(), 'acme', { a: 1 }, undefined, 'shared-key'),
      );

      await expect(
        new IngestDataBatchHandler(factory, committer).execute(
          new IngestDataBatchCommand(Principal.open(), [{ partnerId: 'acme', payload: { a: 1 } }], 'shared-key'),
        ),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      expect(repository.size).toBe(1);
      expect(published).toHaveLength(1);
    });

    it('checks the key before the records: an invalid key wins over an invalid batch', async () => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);

      await expect(
        handler.execute(new IngestDataBatchCommand(Principal.open(), THREE_RECORDS, '')),
      ).rejects.toBeInstanceOf(InvalidIdempotencyKeyError);
      await expect(
        handler.execute(new IngestDataBatchCommand(Principal.open(), [], 'bad\u0001key')),
      ).rejects.toBeInstanceOf(InvalidIdempotencyKeyError);
      expect(repository.size).toBe(0);
      expect(repository.claimCount).toBe(0);
      expect(published).toEqual([]);
    });
  });

  describe('with an API key', () => {
    it('refuses (403) a whole batch when one record names another partner, saving nothing', async () => {
      const repository = new InMemoryDataRepository();
      const records = [
        { partnerId: 'acme', payload: { n: 1 } },
        { partnerId: 'globex', payload: { n: 2 } },
        { partnerId: 'acme', payload: { n: 3 } },
      ];

      await expect(
        handlerWith(repository).execute(new IngestDataBatchCommand(PrincipalMother.partner('acme'), records, 'k')),
      ).rejects.toBeInstanceOf(PartnerAccessDeniedError);

      expect(repository.size).toBe(0);
      expect(repository.claimCount).toBe(0);
    });

    it("saves a partner key's batch of its own records, and an admin key's batch of several partners", async () => {
      const repository = new InMemoryDataRepository();
      const own = [
        { partnerId: 'acme', payload: {} },
        { partnerId: 'acme', payload: {} },
      ];
      await handlerWith(repository).execute(new IngestDataBatchCommand(PrincipalMother.partner('acme'), own));
      await handlerWith(repository).execute(new IngestDataBatchCommand(PrincipalMother.admin(), THREE_RECORDS));
      expect(repository.size).toBe(2 + THREE_RECORDS.length);
    });
  });
});
