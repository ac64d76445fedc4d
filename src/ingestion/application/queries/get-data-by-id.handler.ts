import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DataId } from '../../domain/data-id.value-object';
import { DataNotFoundError } from '../../domain/ingestion.errors';
import { RecordReadModel } from '../ports/record.read-model';
import type { IngestedDataView } from '../views/ingested-data.view';
import { GetDataByIdQuery } from './get-data-by-id.query';

@QueryHandler(GetDataByIdQuery)
export class GetDataByIdHandler implements IQueryHandler<GetDataByIdQuery> {
  constructor(private readonly readModel: RecordReadModel) {}

  async execute(query: GetDataByIdQuery): Promise<IngestedDataView> {
    // A string that is not one of our ids names no record: 404, as the contract says.
    if (!DataId.isValid(query.id)) throw new DataNotFoundError(query.id);
    const view = await this.readModel.findById(DataId.create(query.id));
    // Another partner's record is not found rather than forbidden: a key learns nothing of records outside its scope.
    if (!view || !query.principal.mayReach(view.partnerId)) throw new DataNotFoundError(query.id);
    return view;
  }
}
