import { EventPublisher, IEvent } from '@nestjs/cqrs';
import { InMemoryDataRepository } from '../../../../test/fakes/in-memory-data.repository';
import { RecordingIngestionMetrics } from '../../../../test/fakes/recording-ingestion.metrics';
import { RecordedEventBus, useRecordedEventBus } from '../../../../test/support/recorded-event-bus';
import { flushPromises } from '../../../../test/support/timing';
import { PayloadMother } from '../../../../test/mothers/payload.mother';
import { DataId } from '../../domain/data-id.value-object';
import { DataIngested } from '../../domain/data-ingested.event';
import { DataRepository } from '../../domain/data.repository';
import { IdempotencyPolicy } from '../../domain/idempotency.policy';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { IngestedDataFactory } from '../../domain/ingested-data.factory';
import {
  IdempotencyKeyReusedError,
  InvalidIdempotencyKeyError,
  InvalidPartnerIdError,
  PayloadTooLargeError,
} from '../../domain/ingestion.errors';
import { IngestDataCommand } from './ingest-data.command';
import { IngestDataHandler } from './ingest-data.handler';
import { IngestionCommitter } from './ingestion.committer';
import { Principal } from '../../../access/domain/principal.value-object';
import { PrincipalMother } from '../../../../test/mothers/principal.mother';
import { PartnerAccessDeniedError } from '../../../access/domain/access.errors';

const RECEIVED_AT = '2026-11-29T10:31:05.123Z';

/** Holds every save until `release()`: lets a test look at the moment between save and commit. */
class HeldSaveDataRepository extends InMemoryDataRepository {
  private markStarted!: () => void;
  private releaseSave?: () => void;
  readonly saveStarted = new Promise<void>((resolve) => (this.markStarted = resolve));

  async save(data: IngestedData): Promise<void> {
    this.markStarted();
    await new Promise<void>((resolve) => (this.releaseSave = resolve));
    await super.save(data);
  }

  release(): void {
    this.releaseSave!();
  }
}

class FailingDataRepository extends InMemoryDataRepository {
  constructor(private readonly failure: Error) {
    super();
  }

  async save(): Promise<void> {
    throw this.failure;
  }
}

describe('IngestDataHandler', () => {
  let publisher: EventPublisher;
  let published: IEvent[];
  let observe: RecordedEventBus['observe'];
  const factory = new IngestedDataFactory({ maxBytes: 1_000, maxDepth: 32 }, () => new Date(RECEIVED_AT));

  const handlerWith = (repository: DataRepository): IngestDataHandler =>
    new IngestDataHandler(
      factory,
      new IngestionCommitter(repository, publisher, new IdempotencyPolicy(24), new RecordingIngestionMetrics()),
    );

  useRecordedEventBus((bus) => ({ publisher, published, observe } = bus));

  it('saves the record and returns a receipt in wire shape, not marked as a replay', async () => {
    const repository = new InMemoryDataRepository();
    const payload = PayloadMother.reading();

    const result = await handlerWith(repository).execute(new IngestDataCommand(Principal.open(), 'acme', payload));

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

  it('stores the payload text the partner wrote, key order included', async () => {
    const repository = new InMemoryDataRepository();
    const payloadText = '{ "b": 1, "2": "two", "a": {"10": 0, "1": 1} }';

    const { view } = await handlerWith(repository).execute(
      new IngestDataCommand(Principal.open(), 'acme', JSON.parse(payloadText), payloadText),
    );

    const stored = await repository.findById(DataId.create(view.id));
    expect(stored?.payload.json).toBe('{"b":1,"2":"two","a":{"10":0,"1":1}}');
  });

  it('publishes one DataIngested for the saved record', async () => {
    const repository = new InMemoryDataRepository();

    const { view } = await handlerWith(repository).execute(new IngestDataCommand(Principal.open(), 'acme', { a: 1 }));

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

    const execution = handler.execute(new IngestDataCommand(Principal.open(), 'acme', { a: 1 }));
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

    await expect(
      handlerWith(new FailingDataRepository(failure)).execute(
        new IngestDataCommand(Principal.open(), 'acme', { a: 1 }),
      ),
    ).rejects.toBe(failure);
    await flushPromises();

    expect(published).toEqual([]);
  });

  it('rejects invalid input with the domain error, saving and publishing nothing', async () => {
    const repository = new InMemoryDataRepository();
    const handler = handlerWith(repository);

    await expect(
      handler.execute(new IngestDataCommand(Principal.open(), 'not/valid', { a: 1 })),
    ).rejects.toBeInstanceOf(InvalidPartnerIdError);
    await expect(
      handler.execute(new IngestDataCommand(Principal.open(), 'acme', PayloadMother.ofSerializedBytes(1_001))),
    ).rejects.toBeInstanceOf(PayloadTooLargeError);

    expect(repository.size).toBe(0);
    expect(published).toEqual([]);
  });

  it('gives each record its own id and event', async () => {
    const repository = new InMemoryDataRepository();
    const handler = handlerWith(repository);

    const { view: first } = await handler.execute(new IngestDataCommand(Principal.open(), 'acme', { n: 1 }));
    const { view: second } = await handler.execute(new IngestDataCommand(Principal.open(), 'globex', { n: 2 }));

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

      const result = await handlerWith(repository).execute(
        new IngestDataCommand(Principal.open(), 'acme', { a: 1 }, undefined, 'key-1'),
      );

      expect(result.replayed).toBe(false);
      expect(repository.size).toBe(1);
      expect(repository.claimCount).toBe(1);
      expect(published).toEqual([new DataIngested(result.view.id, 'acme', RECEIVED_AT)]);
    });

    it('answers a retry with the first receipt, saving and publishing nothing more', async () => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);
      const first = await handler.execute(
        new IngestDataCommand(Principal.open(), 'acme', { a: 1 }, undefined, 'key-1'),
      );

      const retry = await handler.execute(
        new IngestDataCommand(Principal.open(), 'acme', { a: 1 }, undefined, 'key-1'),
      );
      await flushPromises();

      expect(retry).toEqual({ view: first.view, replayed: true });
      expect(repository.size).toBe(1);
      expect(published).toEqual([new DataIngested(first.view.id, 'acme', RECEIVED_AT)]);
    });

    it('refuses the same key with another payload, saving and publishing nothing more', async () => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);
      await handler.execute(new IngestDataCommand(Principal.open(), 'acme', { a: 1 }, undefined, 'key-1'));

      await expect(
        handler.execute(new IngestDataCommand(Principal.open(), 'acme', { a: 2 }, undefined, 'key-1')),
      ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
      await flushPromises();

      expect(repository.size).toBe(1);
      expect(published).toHaveLength(1);
    });

    it('keeps keys apart per partner', async () => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);

      const acme = await handler.execute(new IngestDataCommand(Principal.open(), 'acme', { a: 1 }, undefined, 'key-1'));
      const globex = await handler.execute(
        new IngestDataCommand(Principal.open(), 'globex', { a: 2 }, undefined, 'key-1'),
      );

      expect(acme.replayed).toBe(false);
      expect(globex.replayed).toBe(false);
      expect(globex.view.id).not.toBe(acme.view.id);
      expect(repository.size).toBe(2);
    });

    it.each([
      ['empty', ''],
      ['too long', 'k'.repeat(256)],
      ['not printable', 'key\n1'],
    ])('rejects an invalid (%s) key before looking at the body', async (_case, key) => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);

      await expect(
        handler.execute(new IngestDataCommand(Principal.open(), 'acme', { a: 1 }, undefined, key)),
      ).rejects.toBeInstanceOf(InvalidIdempotencyKeyError);
      await expect(
        handler.execute(new IngestDataCommand(Principal.open(), 'not/valid', [], undefined, key)),
      ).rejects.toBeInstanceOf(InvalidIdempotencyKeyError);

      expect(repository.size).toBe(0);
      expect(repository.claimCount).toBe(0);
      expect(published).toEqual([]);
    });
  });

  describe('with an API key', () => {
    it("refuses (403) a partner key's record for another partner, saving and publishing nothing", async () => {
      const repository = new InMemoryDataRepository();

      await expect(
        handlerWith(repository).execute(
          new IngestDataCommand(PrincipalMother.partner('acme'), 'globex', { a: 1 }, undefined, 'k'),
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
        new IngestDataCommand(PrincipalMother.partner('acme'), 'acme', { a: 1 }, undefined, 'k'),
      );
      const second = await handler.execute(
        new IngestDataCommand(PrincipalMother.partner('acme'), 'acme', { a: 1 }, undefined, 'k'),
      );
      const open = await handler.execute(new IngestDataCommand(Principal.open(), 'acme', { a: 1 }, undefined, 'k'));

      expect([first.replayed, second.replayed, open.replayed]).toEqual([false, false, false]);
      expect(new Set([first.view.id, second.view.id, open.view.id]).size).toBe(3);
      expect(repository.claimCount).toBe(3);
    });

    it('replays a retry with the same API key', async () => {
      const repository = new InMemoryDataRepository();
      const handler = handlerWith(repository);
      const principal = PrincipalMother.partner('acme');
      const first = await handler.execute(new IngestDataCommand(principal, 'acme', { a: 1 }, undefined, 'k'));
      const retry = await handler.execute(new IngestDataCommand(principal, 'acme', { a: 1 }, undefined, 'k'));
      expect(retry).toEqual({ view: first.view, replayed: true });
    });
  });
});
