import { CommandHandler, EventPublisher, ICommandHandler } from '@nestjs/cqrs';
import { DataRepository } from '../../domain/data.repository';
import { IdempotencyKey } from '../../domain/idempotency-key.value-object';
import { IdempotencyPolicy } from '../../domain/idempotency.policy';
import { IngestedDataFactory } from '../../domain/ingested-data.factory';
import { IngestionMetrics } from '../ports/ingestion.metrics';
import { receiptOf, type DataReceiptView } from '../views/data-receipt.view';
import { replayOf, type IngestionResult } from '../views/ingestion.result';
import { IngestDataCommand } from './ingest-data.command';

@CommandHandler(IngestDataCommand)
export class IngestDataHandler implements ICommandHandler<IngestDataCommand> {
  constructor(
    private readonly factory: IngestedDataFactory,
    private readonly repository: DataRepository,
    private readonly publisher: EventPublisher,
    private readonly policy: IdempotencyPolicy,
    private readonly metrics: IngestionMetrics,
  ) {}

  async execute(command: IngestDataCommand): Promise<IngestionResult<DataReceiptView>> {
    // The key is checked first: a bad key is a 400 whatever the body.
    const key = IdempotencyKey.createOptional(command.idempotencyKey);
    const data = this.publisher.mergeObjectContext(
      this.factory.create({ partnerId: command.partnerId, payload: command.payload }),
    );
    command.principal.assertMayReach([data.partnerId.value]);
    const receipt = receiptOf(data);
    const claim = key && this.policy.claim('ingest', key, command.principal.keyId, [data], receipt);
    const outcome = await this.repository.save([data], claim);
    if (outcome.kind !== 'saved') return replayOf(outcome);
    this.metrics.recordsIngested([data.payload.byteLength]);
    data.commit();
    return { view: receipt, replayed: false };
  }
}
