import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import type { DataListView } from '../views/data-list.view';
import { PartnerId } from '../../domain/partner-id.value-object';
import { DataListReader } from './data-list.reader';
import { GetDataByPartnerIdQuery } from './get-data-by-partner-id.query';

@QueryHandler(GetDataByPartnerIdQuery)
export class GetDataByPartnerIdHandler implements IQueryHandler<GetDataByPartnerIdQuery> {
  constructor(private readonly reader: DataListReader) {}

  async execute(query: GetDataByPartnerIdQuery): Promise<DataListView> {
    query.principal.assertMayReach([PartnerId.create(query.partnerId).value]);
    return this.reader.read(query.options, query.partnerId);
  }
}
