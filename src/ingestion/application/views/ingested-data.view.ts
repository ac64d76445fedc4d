/**
 * One record with its payload, as `GET /ingest/:id` returns it. The payload stays the JSON
 * text it was stored as: written out as is, never parsed and re-encoded on the way.
 */
export interface IngestedDataView {
  id: string;
  partnerId: string;
  timestamp: string;
  payloadJson: string;
}
