import type { JsonObject } from '../../domain/payload.value-object';

/** One record with its payload, as `GET /ingest/:id` returns it. */
export interface IngestedDataView {
  id: string;
  partner_id: string;
  timestamp: string;
  payload: JsonObject;
}
