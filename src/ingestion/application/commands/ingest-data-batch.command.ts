import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../../access/domain/principal.value-object';
import type { JsonText } from '../../domain/json-text';
import type { BatchReceiptView } from '../views/batch-receipt.view';
import type { IngestionResult } from '../views/ingestion.result';

/** All the records, or none: one transaction, one `DataIngested` per record after it commits. */
export class IngestDataBatchCommand extends Command<IngestionResult<BatchReceiptView>> {
  /** @param payloadTexts record i's payload as the partner wrote it (keeps key order), where the transport has it */
  constructor(
    readonly principal: Principal,
    readonly records: readonly unknown[],
    readonly payloadTexts: ReadonlyArray<JsonText | undefined> = [],
    readonly idempotencyKey?: string,
  ) {
    super();
  }
}
