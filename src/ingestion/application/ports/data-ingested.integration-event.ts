/** What downstream consumers receive for each committed record (wire field names). */
export interface DataIngestedIntegrationEvent {
  id: string;
  partner_id: string;
  timestamp: string;
}
