import { Command } from '@nestjs/cqrs';
import type { ApiKeyView } from '../views/api-key.view';

export class RevokeApiKeyCommand extends Command<ApiKeyView> {
  constructor(readonly id: string) {
    super();
  }
}
