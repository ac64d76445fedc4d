import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../../access/domain/principal.value-object';
import type { IngestedDataView } from '../views/ingested-data.view';

export class GetDataByIdQuery extends Query<IngestedDataView> {
  constructor(
    readonly principal: Principal,
    readonly id: string,
  ) {
    super();
  }
}
