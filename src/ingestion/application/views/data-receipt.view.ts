import type { IngestedData } from '../../domain/ingested-data.aggregate';

/** Wire field names: the contract's snake_case. */
export interface DataReceiptView {
  id: string;
  partner_id: string;
  timestamp: string;
}

export function receiptOf(record: IngestedData): DataReceiptView {
  return { id: record.id.value, partner_id: record.partnerId.value, timestamp: record.timestamp.value };
}
