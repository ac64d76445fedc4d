import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../../access/domain/principal.value-object';
import type { DataListView } from '../views/data-list.view';
import type { DataListOptions } from './data-list.options';

export class GetDataByPartnerIdQuery extends Query<DataListView> {
  constructor(
    readonly principal: Principal,
    readonly partnerId: string,
    readonly options: DataListOptions = {},
  ) {
    super();
  }
}
