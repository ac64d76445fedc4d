import type { IngestedDataView } from '../views/ingested-data.view';

export type DataIngestedIntegrationEvent = IngestedDataView;
