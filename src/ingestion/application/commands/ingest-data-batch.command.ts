import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../../access/domain/principal.value-object';
import type { IngestDataInput } from '../../domain/ingested-data.factory';
import type { BatchFieldError } from '../../domain/ingestion.errors';
import type { BatchReceiptView } from '../views/batch-receipt.view';
import type { IngestionResult } from '../views/ingestion.result';

/** All the records, or none: one transaction, one `DataIngested` per record after it commits. */
export class IngestDataBatchCommand extends Command<IngestionResult<BatchReceiptView>> {
  /**
   * @param records one input per record; null for a record the transport could not read as an object
   * @param shapeErrors what the transport found wrong with the records' shape, reported with the value errors
   */
  constructor(
    readonly principal: Principal,
    readonly records: ReadonlyArray<IngestDataInput | null>,
    readonly idempotencyKey?: string,
    readonly shapeErrors: readonly BatchFieldError[] = [],
  ) {
    super();
  }
}
