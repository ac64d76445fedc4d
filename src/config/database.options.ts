import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import type { Database } from 'better-sqlite3';
import { resolve } from 'node:path';
import { IngestedDataOrmEntity } from '../ingestion/infrastructure/persistence/ingested-data.orm-entity';
import { IdempotencyKeyOrmEntity } from '../ingestion/infrastructure/persistence/idempotency-key.orm-entity';
import { CreateIngestedData1764403200000 } from '../ingestion/infrastructure/persistence/migrations/1764403200000-create-ingested-data';
import { CreateIdempotencyKeys1764489600000 } from '../ingestion/infrastructure/persistence/migrations/1764489600000-create-idempotency-keys';
import type { Environment } from './environment';

export const ENTITIES = [IngestedDataOrmEntity, IdempotencyKeyOrmEntity];
export const MIGRATIONS = [CreateIngestedData1764403200000, CreateIdempotencyKeys1764489600000];

/** `sqlite:./data/x.sqlite`, `sqlite:/abs/x.sqlite` or `sqlite:///abs/x.sqlite` → a file path. */
export function sqlitePath(databaseUrl: string): string {
  const location = databaseUrl.slice('sqlite:'.length).replace(/^\/\//, '');
  return location === ':memory:' ? location : resolve(location);
}

/**
 * The schema comes from migrations, run at start (never `synchronize`). SQLite runs in WAL
 * mode with synchronous=NORMAL: a committed row survives a crash of the process (the WAL is
 * written before the commit returns), and a busy timeout makes writers wait, not fail.
 */
export function databaseOptions(
  environment: Pick<Environment, 'DATABASE_URL' | 'SQLITE_BUSY_TIMEOUT_MS'>,
): TypeOrmModuleOptions {
  if (!environment.DATABASE_URL.startsWith('sqlite:')) {
    throw new Error('DATABASE_URL: PostgreSQL is not supported yet; use sqlite:<file path>.');
  }
  return {
    type: 'better-sqlite3',
    database: sqlitePath(environment.DATABASE_URL),
    enableWAL: true,
    timeout: environment.SQLITE_BUSY_TIMEOUT_MS,
    prepareDatabase: (db: Database) => {
      db.pragma('synchronous = NORMAL');
    },
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Not 'error': a failed INSERT's parameters would put a payload in the log.
    logging: ['migration'],
    retryAttempts: 3,
    retryDelay: 500,
  };
}
