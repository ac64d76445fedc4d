import { Query } from '@nestjs/cqrs';
import type { IngestedDataView } from '../views/ingested-data.view';

export class GetDataByIdQuery extends Query<IngestedDataView> {
  constructor(readonly id: string) {
    super();
  }
}
