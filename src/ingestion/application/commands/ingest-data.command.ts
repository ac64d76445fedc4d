import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../../access/domain/principal.value-object';
import type { DataReceiptView } from '../views/data-receipt.view';
import type { IngestionResult } from '../views/ingestion.result';

export class IngestDataCommand extends Command<IngestionResult<DataReceiptView>> {
  /**
   * @param payloadText the payload as the partner wrote it, when the transport has it (keeps key order)
   * @param idempotencyKey the request's Idempotency-Key, if it sent one
   */
  constructor(
    readonly principal: Principal,
    readonly partnerId: unknown,
    readonly payload: unknown,
    readonly payloadText?: string,
    readonly idempotencyKey?: string,
  ) {
    super();
  }
}
