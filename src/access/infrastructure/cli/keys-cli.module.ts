import { DynamicModule, Module } from '@nestjs/common';
import { foundationImports } from '../../../app.module';
import { ApiKeysModule } from '../../api-keys.module';

/**
 * Root module of the key management CLI (src/keys.ts): the service's configuration and
 * database, logs on stderr (stdout carries the CLI's JSON lines), and the keys. Built on
 * call, like AppModule, so that `.env` is read and checked when the CLI runs, not on import.
 */
@Module({})
export class KeysCliModule {
  static forRoot(overrides: Record<string, string> = {}): DynamicModule {
    return {
      module: KeysCliModule,
      imports: [...foundationImports(overrides, 2), ApiKeysModule],
    };
  }
}
