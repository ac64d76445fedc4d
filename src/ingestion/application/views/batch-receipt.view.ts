import type { DataReceiptView } from './data-receipt.view';

/** What the client gets back for an accepted batch: one receipt per record, in request order. */
export interface BatchReceiptView {
  records: DataReceiptView[];
}
