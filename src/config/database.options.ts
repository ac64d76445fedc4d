import type { TypeOrmModuleOptions } from '@nestjs/typeorm';
import type { Database } from 'better-sqlite3';
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { POSTGRES_MIGRATIONS } from '../ingestion/infrastructure/persistence/migrations/postgres';
import { SQLITE_MIGRATIONS } from '../ingestion/infrastructure/persistence/migrations/sqlite';
import {
  isDatabaseUnavailable,
  StorageFault,
  storageFault,
  unavailableReason,
} from '../ingestion/infrastructure/persistence/database-errors';
import { writeStorageProbe } from '../ingestion/infrastructure/persistence/database-writes.monitor';
import { POSTGRES_TYPE_PARSERS } from '../ingestion/infrastructure/persistence/postgres-type-parsers';
import { SchemaMigrator } from '../ingestion/infrastructure/persistence/schema-migrator';
import { ACCESS_POSTGRES_MIGRATIONS } from '../access/infrastructure/persistence/migrations/postgres';
import { ACCESS_SQLITE_MIGRATIONS } from '../access/infrastructure/persistence/migrations/sqlite';
import type { Environment } from './environment';

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

export function dataSourceOptions(settings: DatabaseSettings): DataSourceOptions {
  const common = {
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
      migrations: [...POSTGRES_MIGRATIONS, ...ACCESS_POSTGRES_MIGRATIONS],
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
    migrations: [...SQLITE_MIGRATIONS, ...ACCESS_SQLITE_MIGRATIONS],
    // With synchronous=NORMAL a committed row survives a process crash: the WAL is written before commit returns.
    enableWAL: true,
    timeout: settings.SQLITE_BUSY_TIMEOUT_MS,
    prepareDatabase: (db: Database) => {
      db.pragma('synchronous = NORMAL');
    },
  };
}

/** Only "not reachable" errors are retried at start; any other failure (a migration, say) stops the start at once. */
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

/** TypeOrmModule's `dataSourceFactory`: nothing uses the DataSource before it is migrated and has taken a write. */
export async function createMigratedDataSource(options?: DataSourceOptions): Promise<DataSource> {
  if (!options) throw new Error('createMigratedDataSource: no DataSource options');
  const dataSource = new DataSource(options);
  try {
    await dataSource.initialize();
    await new SchemaMigrator(dataSource).migrate();
    await writeStorageProbe(dataSource, Buffer.alloc(0));
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    const fault = storageFault(error);
    throw fault === undefined ? error : new DatabaseNotWritableError(fault, unavailableReason(error), options);
  }
  return dataSource;
}

const FAULT_DESCRIPTIONS: Record<StorageFault, string> = {
  full: 'is full',
  'read-only': 'is read-only',
  'io-error': 'cannot be written',
};

/** One line for the log: `database is read-only (SQLITE_CANTOPEN, EROFS): /var/lib/ingestion.sqlite`. */
export class DatabaseNotWritableError extends Error {
  constructor(fault: StorageFault, reason: string, options: DataSourceOptions) {
    let location: string;
    if (options.type === 'postgres') {
      location = redactedDatabaseUrl(options.url ?? '');
    } else {
      location = String(options.database);
      // On a file it may not write, SQLite says CANTOPEN or IOERR: the file system says why.
      const refusal = fault === 'read-only' ? undefined : writeRefusal(location);
      if (refusal !== undefined) [fault, reason] = ['read-only', `${reason}, ${refusal}`];
    }
    super(`database ${FAULT_DESCRIPTIONS[fault]} (${reason}): ${location}`);
    this.name = 'DatabaseNotWritableError';
  }
}

/** Why the file system refuses this process writes to the SQLite file (or its creation), if it does. */
function writeRefusal(path: string): string | undefined {
  try {
    accessSync(existsSync(path) ? path : dirname(path), constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'EROFS' || code === 'EACCES' || code === 'EPERM' ? code : undefined;
  }
}
