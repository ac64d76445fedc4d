import { Command } from '@nestjs/cqrs';
import type { DataReceiptView } from '../views/data-receipt.view';

export class IngestDataCommand extends Command<DataReceiptView> {
  /** `payloadText`: the payload as the partner wrote it, when the transport has it (keeps key order). */
  constructor(
    readonly partnerId: unknown,
    readonly payload: unknown,
    readonly payloadText?: string,
  ) {
    super();
  }
}
