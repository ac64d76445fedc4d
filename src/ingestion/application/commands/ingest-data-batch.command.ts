import { Command } from '@nestjs/cqrs';
import type { IngestDataInput } from '../../domain/ingested-data.factory';
import type { BatchReceiptView } from '../views/batch-receipt.view';
import type { IngestionResult } from '../views/ingestion.result';

/** All the records, or none: one transaction, one `DataIngested` per record after it commits. */
export class IngestDataBatchCommand extends Command<IngestionResult<BatchReceiptView>> {
  constructor(
    readonly records: readonly IngestDataInput[],
    readonly idempotencyKey?: string,
  ) {
    super();
  }
}
