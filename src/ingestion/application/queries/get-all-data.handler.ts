import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { RecordReadModel } from '../ports/record.read-model';
import type { DataListView } from '../views/data-list.view';
import { GetAllDataQuery } from './get-all-data.query';
import { readDataList, validDataListFilter } from './read-data-list';

@QueryHandler(GetAllDataQuery)
export class GetAllDataHandler implements IQueryHandler<GetAllDataQuery> {
  constructor(private readonly readModel: RecordReadModel) {}

  async execute(query: GetAllDataQuery): Promise<DataListView> {
    query.principal.assertMayReachAll();
    return readDataList(this.readModel, validDataListFilter(query.filter));
  }
}
