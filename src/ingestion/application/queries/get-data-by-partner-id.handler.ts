import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { DataListView } from '../views/data-list.view';
import { DataListReader } from './data-list.reader';
import { GetDataByPartnerIdQuery } from './get-data-by-partner-id.query';

@QueryHandler(GetDataByPartnerIdQuery)
export class GetDataByPartnerIdHandler implements IQueryHandler<GetDataByPartnerIdQuery> {
  constructor(private readonly reader: DataListReader) {}

  execute(query: GetDataByPartnerIdQuery): Promise<DataListView> {
    return this.reader.read(query.options, query.partnerId);
  }
}
