import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DataId } from '../../domain/data-id.value-object';
import { DataRepository } from '../../domain/data.repository';
import { DataNotFoundError } from '../../domain/ingestion.errors';
import type { IngestedDataView } from '../views/ingested-data.view';
import { GetDataByIdQuery } from './get-data-by-id.query';

@QueryHandler(GetDataByIdQuery)
export class GetDataByIdHandler implements IQueryHandler<GetDataByIdQuery> {
  constructor(private readonly repository: DataRepository) {}

  async execute(query: GetDataByIdQuery): Promise<IngestedDataView> {
    // A string that is not one of our ids names no record: 404, as the contract says.
    if (!DataId.isValid(query.id)) throw new DataNotFoundError(query.id);
    const data = await this.repository.findById(DataId.create(query.id));
    // Another partner's record is not found rather than forbidden: a key learns nothing of records outside its scope.
    if (!data || !query.principal.mayReach(data.partnerId.value)) throw new DataNotFoundError(query.id);
    return {
      id: data.id.value,
      partnerId: data.partnerId.value,
      timestamp: data.timestamp.value,
      payloadJson: data.payload.json,
    };
  }
}
