import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../../access/domain/principal.value-object';
import type { DataListFilter } from '../ports/record.read-model';
import type { DataListView } from '../views/data-list.view';

export class GetDataByPartnerIdQuery extends Query<DataListView> {
  constructor(
    readonly principal: Principal,
    readonly filter: DataListFilter & { partnerId: string },
  ) {
    super();
  }
}
