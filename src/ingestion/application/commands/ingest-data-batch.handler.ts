import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { IdempotencyKey } from '../../domain/idempotency-key.value-object';
import { IngestedDataFactory } from '../../domain/ingested-data.factory';
import type { BatchReceiptView } from '../views/batch-receipt.view';
import type { IngestionResult } from '../views/ingestion.result';
import { IngestDataBatchCommand } from './ingest-data-batch.command';
import { IngestionCommitter, receiptOf } from './ingestion.committer';

@CommandHandler(IngestDataBatchCommand)
export class IngestDataBatchHandler implements ICommandHandler<IngestDataBatchCommand> {
  constructor(
    private readonly factory: IngestedDataFactory,
    private readonly committer: IngestionCommitter,
  ) {}

  async execute(command: IngestDataBatchCommand): Promise<IngestionResult<BatchReceiptView>> {
    // The key is checked first: a bad key is a 400 whatever the body.
    const key = IdempotencyKey.createOptional(command.idempotencyKey);
    const records = this.factory.createBatch(command.records, command.shapeErrors);
    command.principal.assertMayReach(records.map((record) => record.partnerId.value));
    return this.committer.commit('ingest-batch', records, { records: records.map(receiptOf) }, key, command.principal);
  }
}
