/** What downstream consumers receive for each committed record: the record as `GET /ingest/<id>` returns it. */
export interface DataIngestedIntegrationEvent {
  id: string;
  partnerId: string;
  timestamp: string;
  /** The payload's JSON text as stored, byte for byte. */
  payloadJson: string;
}
