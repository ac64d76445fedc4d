import type { IngestedDataView } from '../views/ingested-data.view';

/** What downstream consumers receive for each committed record: the record as `GET /ingest/<id>` returns it. */
export type DataIngestedIntegrationEvent = IngestedDataView;
