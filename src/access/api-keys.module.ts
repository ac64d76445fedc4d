import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CreateApiKeyHandler } from './application/commands/create-api-key.handler';
import { RevokeApiKeyHandler } from './application/commands/revoke-api-key.handler';
import { ListApiKeysHandler } from './application/queries/list-api-keys.handler';
import { ApiKeyRepository } from './domain/api-key.repository';
import { TypeOrmApiKeyRepository } from './infrastructure/persistence/typeorm-api-key.repository';

/** The keys and their management: shared by the HTTP app (AccessModule) and the keys CLI. */
@Module({
  providers: [
    {
      provide: ApiKeyRepository,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new TypeOrmApiKeyRepository(dataSource),
    },
    CreateApiKeyHandler,
    RevokeApiKeyHandler,
    ListApiKeysHandler,
  ],
  exports: [ApiKeyRepository],
})
export class ApiKeysModule {}
