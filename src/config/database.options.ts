import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import type { Database } from 'better-sqlite3';
import { resolve } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { IngestedDataOrmEntity } from '../ingestion/infrastructure/persistence/ingested-data.orm-entity';
import { IdempotencyKeyOrmEntity } from '../ingestion/infrastructure/persistence/idempotency-key.orm-entity';
import { POSTGRES_MIGRATIONS } from '../ingestion/infrastructure/persistence/migrations/postgres';
import { SQLITE_MIGRATIONS } from '../ingestion/infrastructure/persistence/migrations/sqlite';
import { isDatabaseUnavailable } from '../ingestion/infrastructure/persistence/database-errors';
import { POSTGRES_TYPE_PARSERS } from '../ingestion/infrastructure/persistence/postgres-type-parsers';
import { SchemaMigrator } from '../ingestion/infrastructure/persistence/schema-migrator';
import type { Environment } from './environment';

export const ENTITIES = [IngestedDataOrmEntity, IdempotencyKeyOrmEntity];

export type DatabaseSettings = Pick<
  Environment,
  | 'DATABASE_URL'
  | 'SQLITE_BUSY_TIMEOUT_MS'
  | 'DATABASE_POOL_SIZE'
  | 'DATABASE_STATEMENT_TIMEOUT_MS'
  | 'DATABASE_CONNECT_TIMEOUT_MS'
  | 'DATABASE_CONNECT_RETRIES'
  | 'DATABASE_CONNECT_RETRY_DELAY_MS'
>;

export function isPostgresUrl(databaseUrl: string): boolean {
  return /^postgres(ql)?:\/\//.test(databaseUrl);
}

/** The URL without its password (in the authority or as a `password` parameter), for logs. */
export function redactedDatabaseUrl(databaseUrl: string): string {
  if (!isPostgresUrl(databaseUrl)) return databaseUrl;
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return 'postgres://(a URL that does not parse)';
  }
  if (!url.password && !url.searchParams.has('password')) return databaseUrl;
  if (url.password) url.password = '***';
  if (url.searchParams.has('password')) url.searchParams.set('password', '***');
  return url.toString();
}

/** `sqlite:./data/x.sqlite`, `sqlite:/abs/x.sqlite` or `sqlite:///abs/x.sqlite` → a file path. */
export function sqlitePath(databaseUrl: string): string {
  const location = databaseUrl.slice('sqlite:'.length).replace(/^\/\//, '');
  return location === ':memory:' ? location : resolve(location);
}

/**
 * The DataSource of either database: `postgres://…` selects PostgreSQL, `sqlite:…` SQLite.
 * The schema comes from migrations, never `synchronize`.
 * - SQLite runs in WAL mode with synchronous=NORMAL: a committed row survives a crash of the
 *   process (the WAL is written before the commit returns); a busy timeout makes writers wait.
 * - PostgreSQL: a pool of DATABASE_POOL_SIZE connections, each with a statement timeout;
 *   waiting for a connection is bounded too. Rows come back as the SQLite ones do (see
 *   POSTGRES_TYPE_PARSERS).
 */
export function dataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrationsRun: false,
    synchronize: false,
    // Not 'error': a failed INSERT's parameters would put a payload in the log.
    logging: ['migration' as const],
  };
  if (isPostgresUrl(settings.DATABASE_URL)) {
    return {
      ...common,
      type: 'postgres',
      url: settings.DATABASE_URL,
      migrations: POSTGRES_MIGRATIONS,
      poolSize: settings.DATABASE_POOL_SIZE,
      connectTimeoutMS: settings.DATABASE_CONNECT_TIMEOUT_MS,
      applicationName: 'ingestion-service',
      extra: {
        statement_timeout: settings.DATABASE_STATEMENT_TIMEOUT_MS || undefined,
        types: POSTGRES_TYPE_PARSERS,
      },
    };
  }
  return {
    ...common,
    type: 'better-sqlite3',
    database: sqlitePath(settings.DATABASE_URL),
    migrations: SQLITE_MIGRATIONS,
    enableWAL: true,
    timeout: settings.SQLITE_BUSY_TIMEOUT_MS,
    prepareDatabase: (db: Database) => {
      db.pragma('synchronous = NORMAL');
    },
  };
}

/**
 * For TypeOrmModule: connects (retrying at start), then migrates under the migration lock
 * before anything can use the DataSource. Only "not reachable" errors are retried, up to
 * DATABASE_CONNECT_RETRIES times after the first attempt, each reported to `onRetry`; any
 * other failure (a migration that fails, say) stops the start at once.
 */
export function databaseModuleOptions(
  settings: DatabaseSettings,
  onRetry: (error: unknown, attempt: number, attempts: number) => void = () => undefined,
): TypeOrmModuleOptions {
  const attempts = settings.DATABASE_CONNECT_RETRIES + 1;
  let failed = 0;
  return {
    ...dataSourceOptions(settings),
    // @nestjs/typeorm counts attempts, the first included, and gives up when `retryAttempts` have failed.
    retryAttempts: attempts,
    retryDelay: settings.DATABASE_CONNECT_RETRY_DELAY_MS,
    toRetry: (error: unknown) => {
      if (!isDatabaseUnavailable(error)) return false;
      failed += 1;
      if (failed < attempts) onRetry(error, failed, attempts);
      return true;
    },
  } as TypeOrmModuleOptions;
}

/** TypeOrmModule's `dataSourceFactory`: the DataSource it hands out is connected and migrated. */
export async function createMigratedDataSource(options?: DataSourceOptions): Promise<DataSource> {
  if (!options) throw new Error('createMigratedDataSource: no DataSource options');
  const dataSource = await new DataSource(options).initialize();
  try {
    await new SchemaMigrator(dataSource).migrate();
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}
