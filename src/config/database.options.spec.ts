import { isAbsolute, resolve } from 'node:path';
import { ACCESS_POSTGRES_MIGRATIONS } from '../access/infrastructure/persistence/migrations/postgres';
import { ACCESS_SQLITE_MIGRATIONS } from '../access/infrastructure/persistence/migrations/sqlite';
import { POSTGRES_MIGRATIONS } from '../ingestion/infrastructure/persistence/migrations/postgres';
import { SQLITE_MIGRATIONS } from '../ingestion/infrastructure/persistence/migrations/sqlite';
import { POSTGRES_TYPE_PARSERS } from '../ingestion/infrastructure/persistence/postgres-type-parsers';
import {
  databaseModuleOptions,
  dataSourceOptions,
  isPostgresUrl,
  redactedDatabaseUrl,
  sqlitePath,
} from './database.options';
import { validateEnvironment } from './validate-environment';

const POSTGRES_URL = 'postgres://ingestion:s3cret@db.internal:5432/ingestion';

/** The settings the service would run with, from these variables (and the defaults). */
function settings(variables: Record<string, string>) {
  return validateEnvironment(variables);
}

/** The options as a plain record, to read the driver-specific fields. */
function optionsFor(variables: Record<string, string>): Record<string, unknown> {
  return dataSourceOptions(settings(variables)) as unknown as Record<string, unknown>;
}

describe('isPostgresUrl', () => {
  it.each([
    ['postgres://postgres@127.0.0.1:5432/test', true],
    ['postgresql://postgres@127.0.0.1:5432/test', true],
    ['sqlite:./data/ingestion.sqlite', false],
    ['sqlite:///var/lib/ingestion.sqlite', false],
    ['postgres:/missing-slashes', false],
    ['mysql://localhost/db', false],
  ])('%s → %s', (url, expected) => {
    expect(isPostgresUrl(url)).toBe(expected);
  });
});

describe('dataSourceOptions', () => {
  describe('for a postgres:// URL', () => {
    it('selects PostgreSQL with the URL, the pool size, the connect timeout and the statement timeout', () => {
      const options = optionsFor({
        DATABASE_URL: POSTGRES_URL,
        DATABASE_POOL_SIZE: '7',
        DATABASE_CONNECT_TIMEOUT_MS: '2500',
        DATABASE_STATEMENT_TIMEOUT_MS: '1234',
      });
      expect(options).toMatchObject({
        type: 'postgres',
        url: POSTGRES_URL,
        poolSize: 7,
        connectTimeoutMS: 2500,
        synchronize: false,
        migrationsRun: false,
      });
      const extra = options.extra as { statement_timeout?: number; types?: unknown };
      expect(extra.statement_timeout).toBe(1234);
      expect(extra.types).toBe(POSTGRES_TYPE_PARSERS);
      expect(options.migrations).toEqual([...POSTGRES_MIGRATIONS, ...ACCESS_POSTGRES_MIGRATIONS]);
      expect(options).not.toHaveProperty('entities');
    });

    it('uses the defaults of the settings', () => {
      const options = optionsFor({ DATABASE_URL: POSTGRES_URL });
      expect(options).toMatchObject({ poolSize: 10, connectTimeoutMS: 5000 });
      expect((options.extra as { statement_timeout?: number }).statement_timeout).toBe(10000);
    });

    it('sets no statement timeout when DATABASE_STATEMENT_TIMEOUT_MS is 0', () => {
      const options = optionsFor({ DATABASE_URL: POSTGRES_URL, DATABASE_STATEMENT_TIMEOUT_MS: '0' });
      const extra = options.extra as { statement_timeout?: number; types?: unknown };
      expect(extra.statement_timeout).toBeUndefined();
      expect(extra.types).toBe(POSTGRES_TYPE_PARSERS);
    });

    it('does not log statements or their parameters', () => {
      expect(optionsFor({ DATABASE_URL: POSTGRES_URL }).logging).toEqual(['migration']);
    });

    it('selects PostgreSQL for postgresql:// too', () => {
      const url = 'postgresql://ingestion@db.internal:5432/ingestion';
      const options = optionsFor({ DATABASE_URL: url });
      expect(options).toMatchObject({ type: 'postgres', url });
      expect(options.migrations).toEqual([...POSTGRES_MIGRATIONS, ...ACCESS_POSTGRES_MIGRATIONS]);
    });
  });

  describe('for a sqlite: URL', () => {
    it('selects better-sqlite3 on the absolute path of the file, in WAL mode, with the busy timeout', () => {
      const options = optionsFor({ DATABASE_URL: 'sqlite:./x.sqlite', SQLITE_BUSY_TIMEOUT_MS: '4321' });
      expect(options).toMatchObject({
        type: 'better-sqlite3',
        database: resolve('x.sqlite'),
        enableWAL: true,
        timeout: 4321,
        synchronize: false,
        migrationsRun: false,
      });
      expect(isAbsolute(options.database as string)).toBe(true);
      expect(options.migrations).toEqual([...SQLITE_MIGRATIONS, ...ACCESS_SQLITE_MIGRATIONS]);
      expect(options).not.toHaveProperty('entities');
      expect(options).not.toHaveProperty('url');
      expect(options).not.toHaveProperty('poolSize');
    });

    it('uses the default busy timeout', () => {
      expect(optionsFor({ DATABASE_URL: 'sqlite:./x.sqlite' }).timeout).toBe(5000);
    });

    it('sets synchronous=NORMAL on the connection', () => {
      const prepareDatabase = optionsFor({ DATABASE_URL: 'sqlite:./x.sqlite' }).prepareDatabase as (
        db: unknown,
      ) => void;
      const pragma = jest.fn();
      prepareDatabase({ pragma });
      expect(pragma).toHaveBeenCalledWith('synchronous = NORMAL');
    });

    it('is the default when DATABASE_URL is not set', () => {
      const options = optionsFor({});
      expect(options.type).toBe('better-sqlite3');
      expect(options.database).toBe(resolve('data/ingestion.sqlite'));
    });
  });
});

describe('sqlitePath', () => {
  it.each([
    ['sqlite:./data/x.sqlite', resolve('data/x.sqlite')],
    ['sqlite:data/x.sqlite', resolve('data/x.sqlite')],
    ['sqlite:/var/lib/x.sqlite', '/var/lib/x.sqlite'],
    ['sqlite:///var/lib/x.sqlite', '/var/lib/x.sqlite'],
    ['sqlite::memory:', ':memory:'],
  ])('%s → %s', (url, expected) => {
    expect(sqlitePath(url)).toBe(expected);
  });
});

describe('databaseModuleOptions', () => {
  it('carries the connect retries (attempts after the first) and their delay from the settings', () => {
    const options = databaseModuleOptions(
      settings({ DATABASE_URL: POSTGRES_URL, DATABASE_CONNECT_RETRIES: '3', DATABASE_CONNECT_RETRY_DELAY_MS: '250' }),
    );
    expect(options).toMatchObject({ type: 'postgres', url: POSTGRES_URL, retryAttempts: 4, retryDelay: 250 });
  });

  it('retries only a database that does not answer, and reports each retry but the last failure', () => {
    const retries: Array<[number, number]> = [];
    const options = databaseModuleOptions(
      settings({ DATABASE_URL: POSTGRES_URL, DATABASE_CONNECT_RETRIES: '2' }),
      (_error, attempt, attempts) => retries.push([attempt, attempts]),
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(options.toRetry!(new Error('relation "x" already exists'))).toBe(false);
    expect(options.toRetry!(refused)).toBe(true);
    expect(options.toRetry!(refused)).toBe(true);
    expect(options.toRetry!(refused)).toBe(true);
    expect(retries).toEqual([
      [1, 3],
      [2, 3],
    ]);
  });

  it('uses the default retries and delay', () => {
    expect(databaseModuleOptions(settings({ DATABASE_URL: 'sqlite:./x.sqlite' }))).toMatchObject({
      type: 'better-sqlite3',
      retryAttempts: 11,
      retryDelay: 1000,
    });
  });

  it('keeps every option of dataSourceOptions', () => {
    const environment = settings({ DATABASE_URL: POSTGRES_URL });
    expect(databaseModuleOptions(environment)).toMatchObject({ ...dataSourceOptions(environment) });
  });
});

describe('redactedDatabaseUrl', () => {
  it.each([
    ['postgres://ingestion:s3cret@db.internal:5432/ingestion', 'postgres://ingestion:***@db.internal:5432/ingestion'],
    ['postgresql://ingestion:s3cret@db.internal/ingestion', 'postgresql://ingestion:***@db.internal/ingestion'],
    [
      'postgres://ingestion:p%40ss%2Fword@db.internal:5432/ingestion',
      'postgres://ingestion:***@db.internal:5432/ingestion',
    ],
    ['postgres://:s3cret@db.internal/ingestion', 'postgres://:***@db.internal/ingestion'],
  ])('hides the password of %s', (url, expected) => {
    expect(redactedDatabaseUrl(url)).toBe(expected);
    expect(redactedDatabaseUrl(url)).not.toMatch(/s3cret|p%40ss/);
  });

  it.each([
    'postgres://postgres@127.0.0.1:5432/test',
    'postgres://127.0.0.1:5432/test',
    'postgres://db.internal/ingestion?sslmode=require',
    'sqlite:./data/ingestion.sqlite',
    'sqlite:///var/lib/ingestion.sqlite',
  ])('leaves %s unchanged (no password)', (url) => {
    expect(redactedDatabaseUrl(url)).toBe(url);
  });
});

describe('redactedDatabaseUrl, passwords the URL parser splits at the last @', () => {
  it.each([
    ['postgres://postgres:p@ss@127.0.0.1:5432/test', 'p@ss'],
    ['postgres://u@h:5432/db?password=hunter2&sslmode=require', 'hunter2'],
  ])('hides the password of %s', (url, password) => {
    const redacted = redactedDatabaseUrl(url);
    expect(redacted).not.toContain(password);
    expect(redacted).not.toContain(password.slice(-2));
    expect(redacted).toContain('***');
  });
});
