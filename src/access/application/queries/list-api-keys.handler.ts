import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { ApiKeyRepository } from '../../domain/api-key.repository';
import { apiKeyView, type ApiKeyView } from '../views/api-key.view';
import { ListApiKeysQuery } from './list-api-keys.query';

@QueryHandler(ListApiKeysQuery)
export class ListApiKeysHandler implements IQueryHandler<ListApiKeysQuery> {
  constructor(private readonly keys: ApiKeyRepository) {}

  async execute(): Promise<ApiKeyView[]> {
    return (await this.keys.list()).map(apiKeyView);
  }
}
