import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../../access/domain/principal.value-object';
import type { DataReceiptView } from '../views/data-receipt.view';
import type { IngestionResult } from '../views/ingestion.result';

export class IngestDataCommand extends Command<IngestionResult<DataReceiptView>> {
  /** @param payload the parsed payload, or its `JsonText` as the partner wrote it (keeps key order) */
  constructor(
    readonly principal: Principal,
    readonly partnerId: unknown,
    readonly payload: unknown,
    readonly idempotencyKey?: string,
  ) {
    super();
  }
}
