import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { PartnerId } from '../../domain/partner-id.value-object';
import { RecordReadModel } from '../ports/record.read-model';
import type { DataListView } from '../views/data-list.view';
import { GetDataByPartnerIdQuery } from './get-data-by-partner-id.query';
import { readDataList, validDataListFilter } from './read-data-list';

@QueryHandler(GetDataByPartnerIdQuery)
export class GetDataByPartnerIdHandler implements IQueryHandler<GetDataByPartnerIdQuery> {
  constructor(private readonly readModel: RecordReadModel) {}

  async execute(query: GetDataByPartnerIdQuery): Promise<DataListView> {
    // The partner id is checked before access (400 before 403), the other filters after it.
    query.principal.assertMayReach([PartnerId.create(query.filter.partnerId).value]);
    return readDataList(this.readModel, validDataListFilter(query.filter));
  }
}
