import type { DataReceiptView } from './data-receipt.view';

export interface BatchReceiptView {
  records: DataReceiptView[];
}
