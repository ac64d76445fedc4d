import { Query } from '@nestjs/cqrs';
import type { ApiKeyView } from '../views/api-key.view';

export class ListApiKeysQuery extends Query<ApiKeyView[]> {}
