import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../../access/domain/principal.value-object';
import type { DataListView } from '../views/data-list.view';
import type { DataListOptions } from './data-list.options';

export class GetAllDataQuery extends Query<DataListView> {
  constructor(
    readonly principal: Principal,
    readonly options: DataListOptions = {},
  ) {
    super();
  }
}
