import { Logger } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { PartnerId } from '../../../ingestion/domain/partner-id.value-object';
import { InvalidApiKeyRequestError } from '../../domain/access.errors';
import { ApiKey } from '../../domain/api-key.entity';
import { ApiKeyRepository } from '../../domain/api-key.repository';
import type { CreatedApiKeyView } from '../views/api-key.view';
import { CreateApiKeyCommand } from './create-api-key.command';

@CommandHandler(CreateApiKeyCommand)
export class CreateApiKeyHandler implements ICommandHandler<CreateApiKeyCommand> {
  private readonly logger = new Logger('Access');

  constructor(private readonly keys: ApiKeyRepository) {}

  async execute(command: CreateApiKeyCommand): Promise<CreatedApiKeyView> {
    const scope = command.scope.admin
      ? ({ admin: true, partnerId: null } as const)
      : ({ admin: false, partnerId: partnerIdOf(command.scope.partnerId) } as const);
    const { key, secret } = ApiKey.issue(scope, command.name, new Date());
    await this.keys.add(key);
    this.logger.log(
      `API key ${key.id} created (${scope.admin ? 'admin' : `partner ${scope.partnerId}`}${key.name === null ? '' : `, name ${JSON.stringify(key.name)}`})`,
    );
    return {
      id: key.id,
      key: secret.value,
      partner_id: scope.partnerId,
      admin: scope.admin,
      name: key.name,
      created_at: key.createdAt,
    };
  }
}

function partnerIdOf(value: unknown): string {
  try {
    return PartnerId.create(value).value;
  } catch (error) {
    throw new InvalidApiKeyRequestError(`--partner: ${(error as Error).message}`);
  }
}
