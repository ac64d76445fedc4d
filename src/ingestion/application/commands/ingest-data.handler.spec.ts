import { CqrsModule, EventBus, EventPublisher, IEvent } from '@nestjs/cqrs';
import { Test, TestingModule } from '@nestjs/testing';
import { Subscription } from 'rxjs';
import { InMemoryDataRepository } from '../../../../test/fakes/in-memory-data.repository';
import { PayloadMother } from '../../../../test/mothers/payload.mother';
import { DataId } from '../../domain/data-id.value-object';
import { DataIngested } from '../../domain/data-ingested.event';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { IngestedDataFactory } from '../../domain/ingested-data.factory';
import { InvalidPartnerIdError, PayloadTooLargeError } from '../../domain/ingestion.errors';
import { IngestDataCommand } from './ingest-data.command';
import { IngestDataHandler } from './ingest-data.handler';

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
  let moduleRef: TestingModule;
  let publisher: EventPublisher;
  let published: IEvent[];
  let subscription: Subscription;
  const factory = new IngestedDataFactory({ maxBytes: 1_000, maxDepth: 32 }, () => new Date(RECEIVED_AT));

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({ imports: [CqrsModule.forRoot()] }).compile();
    publisher = moduleRef.get(EventPublisher);
    published = [];
    subscription = moduleRef.get(EventBus).subscribe((event) => published.push(event));
  });

  afterEach(async () => {
    subscription.unsubscribe();
    await moduleRef.close();
  });

  it('saves the record and returns a receipt in wire shape', async () => {
    const repository = new InMemoryDataRepository();
    const handler = new IngestDataHandler(factory, repository, publisher);
    const payload = PayloadMother.reading();

    const receipt = await handler.execute(new IngestDataCommand('acme', payload));

    expect(Object.keys(receipt).sort()).toEqual(['id', 'partner_id', 'timestamp']);
    expect(receipt).toEqual({ id: expect.any(String), partner_id: 'acme', timestamp: RECEIVED_AT });
    expect(DataId.isValid(receipt.id)).toBe(true);
    const stored = await repository.findById(DataId.create(receipt.id));
    expect(stored?.partnerId.value).toBe('acme');
    expect(stored?.timestamp.value).toBe(RECEIVED_AT);
    expect(stored?.payload.json).toBe(JSON.stringify(payload));
  });

  it('publishes one DataIngested for the saved record', async () => {
    const repository = new InMemoryDataRepository();
    const handler = new IngestDataHandler(factory, repository, publisher);

    const receipt = await handler.execute(new IngestDataCommand('acme', { a: 1 }));

    expect(published).toEqual([new DataIngested(receipt.id, 'acme', RECEIVED_AT)]);
    expect(published[0]).toBeInstanceOf(DataIngested);
  });

  it('publishes only once the save has resolved, when the record is already stored', async () => {
    const repository = new HeldSaveDataRepository();
    const handler = new IngestDataHandler(factory, repository, publisher);
    const storedWhenPublished: boolean[] = [];
    subscription.add(
      moduleRef.get(EventBus).subscribe((event) => {
        storedWhenPublished.push(repository.has((event as DataIngested).dataId));
      }),
    );

    const execution = handler.execute(new IngestDataCommand('acme', { a: 1 }));
    await repository.saveStarted;
    await flushPromises();

    expect(published).toEqual([]);
    expect(repository.size).toBe(0);

    repository.release();
    const receipt = await execution;

    expect(published).toEqual([new DataIngested(receipt.id, 'acme', RECEIVED_AT)]);
    expect(storedWhenPublished).toEqual([true]);
  });

  it('publishes nothing and passes the error on when the save fails', async () => {
    const failure = new Error('disk full');
    const handler = new IngestDataHandler(factory, new FailingDataRepository(failure), publisher);

    await expect(handler.execute(new IngestDataCommand('acme', { a: 1 }))).rejects.toBe(failure);
    await flushPromises();

    expect(published).toEqual([]);
  });

  it('rejects invalid input with the domain error, saving and publishing nothing', async () => {
    const repository = new InMemoryDataRepository();
    const handler = new IngestDataHandler(factory, repository, publisher);

    await expect(handler.execute(new IngestDataCommand('not/valid', { a: 1 }))).rejects.toBeInstanceOf(
      InvalidPartnerIdError,
    );
    await expect(
      handler.execute(new IngestDataCommand('acme', PayloadMother.ofSerializedBytes(1_001))),
    ).rejects.toBeInstanceOf(PayloadTooLargeError);

    expect(repository.size).toBe(0);
    expect(published).toEqual([]);
  });

  it('gives each record its own id and event', async () => {
    const repository = new InMemoryDataRepository();
    const handler = new IngestDataHandler(factory, repository, publisher);

    const first = await handler.execute(new IngestDataCommand('acme', { n: 1 }));
    const second = await handler.execute(new IngestDataCommand('globex', { n: 2 }));

    expect(second.id > first.id).toBe(true);
    expect(repository.size).toBe(2);
    expect(published).toEqual([
      new DataIngested(first.id, 'acme', RECEIVED_AT),
      new DataIngested(second.id, 'globex', RECEIVED_AT),
    ]);
  });
});

function flushPromises(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
