import { Command } from '@nestjs/cqrs';
import type { DataReceiptView } from '../views/data-receipt.view';

export class IngestDataCommand extends Command<DataReceiptView> {
  constructor(
    readonly partnerId: unknown,
    readonly payload: unknown,
  ) {
    super();
  }
}
