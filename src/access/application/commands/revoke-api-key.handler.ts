import { Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { ApiKeyNotFoundError } from '../../domain/access.errors';
import { ApiKeyRepository } from '../../domain/api-key.repository';
import { apiKeyView, type ApiKeyView } from '../views/api-key.view';
import { RevokeApiKeyCommand } from './revoke-api-key.command';

/** Revoking twice keeps the first time; every instance refuses the key within its lookup cache's lifetime. */
@CommandHandler(RevokeApiKeyCommand)
export class RevokeApiKeyHandler implements ICommandHandler<RevokeApiKeyCommand> {
  private readonly logger = new Logger('Access');

  constructor(private readonly keys: ApiKeyRepository) {}

  async execute(command: RevokeApiKeyCommand): Promise<ApiKeyView> {
    const key = await this.keys.revoke(command.id, new Date());
    if (key === null) throw new ApiKeyNotFoundError(command.id);
    this.logger.log(`API key ${key.id} revoked (${key.scope.admin ? 'admin' : `partner ${key.scope.partnerId}`})`);
    return apiKeyView(key);
  }
}
