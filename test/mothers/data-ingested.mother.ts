import { DataIngested } from '../../src/ingestion/domain/data-ingested.event';
import { IngestedDataMother, IngestedDataOverrides } from './ingested-data.mother';

export class DataIngestedMother {
  /** The event a freshly ingested record raises. */
  static create(overrides: IngestedDataOverrides = {}): DataIngested {
    const data = IngestedDataMother.ingested(overrides);
    return new DataIngested(data.id.value, data.partnerId.value, data.timestamp.value);
  }
}
