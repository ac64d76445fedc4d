import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { DataListView } from '../views/data-list.view';
import { DataListReader } from './data-list.reader';
import { GetAllDataQuery } from './get-all-data.query';

@QueryHandler(GetAllDataQuery)
export class GetAllDataHandler implements IQueryHandler<GetAllDataQuery> {
  constructor(private readonly reader: DataListReader) {}

  async execute(query: GetAllDataQuery): Promise<DataListView> {
    query.principal.assertMayReachAll();
    return this.reader.read(query.options);
  }
}
