/** What the client gets back for an accepted record. Wire field names (contract). */
export interface DataReceiptView {
  id: string;
  partner_id: string;
  timestamp: string;
}
