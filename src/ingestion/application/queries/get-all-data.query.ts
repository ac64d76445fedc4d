import { Query } from '@nestjs/cqrs';
import type { DataListView } from '../views/data-list.view';
import type { DataListOptions } from './data-list.options';

export class GetAllDataQuery extends Query<DataListView> {
  constructor(readonly options: DataListOptions = {}) {
    super();
  }
}
