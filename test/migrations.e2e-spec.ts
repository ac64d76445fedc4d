import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/config/database.options';
import { validateEnvironment } from '../src/config/validate-environment';
import { isDatabaseUnavailable } from '../src/ingestion/infrastructure/persistence/database-errors';
import { MIGRATION_LOCK_KEY, SchemaMigrator } from '../src/ingestion/infrastructure/persistence/schema-migrator';
import { environmentWith, type Finished, runSourceCli } from './support/cli';
import { createTestDatabase, TEST_DATABASE_KIND, TestDatabase } from './support/database';

jest.setTimeout(120000);

const ROOT = join(__dirname, '..');
const REGISTER_TYPESCRIPT = join(ROOT, 'test/support/register-typescript.js');
const MIGRATE = join(ROOT, 'src/migrate.ts');

/** The schema history, oldest first (the same names on both databases). */
const MIGRATIONS = [
  'CreateIngestedData1764403200000',
  'CreateIdempotencyKeys1764489600000',
  'CreateStorageProbe1764576000000',
  'CreateEventLog1764662400000',
  'CreateApiKeys1764835200000',
  'NotifyEventLog1764921600000',
  'CreateStreamTokens1765008000000',
];
const TABLES = ['api_keys', 'event_log_relays', 'idempotency_keys', 'ingested_data', 'storage_probe', 'stream_tokens'];
const NOTIFY_EVENT_LOG = 'NotifyEventLog1764921600000';
const EVENT_LOG = 'CreateEventLog1764662400000';
/** The newest migration, and everything before it. */
const NEWEST = MIGRATIONS[MIGRATIONS.length - 1];
const BEFORE_NEWEST = MIGRATIONS.slice(0, -1);

/** Several instances starting together. */
const INSTANCES = 4;

/** The settings of an instance on `database` (a long SQLite busy timeout: the others wait for the migrating one). */
function settingsFor(database: TestDatabase, variables: Record<string, string> = {}) {
  return validateEnvironment({ SQLITE_BUSY_TIMEOUT_MS: '10000', ...variables, DATABASE_URL: database.url });
}

async function tableNames(database: TestDatabase): Promise<string[]> {
  const rows =
    database.kind === 'postgres'
      ? await database.query<{ name: string }>(
          `SELECT "table_name" AS "name" FROM information_schema.tables WHERE "table_schema" = 'public'`,
        )
      : await database.query<{ name: string }>(
          `SELECT "name" FROM sqlite_master WHERE "type" = 'table' AND "name" NOT LIKE 'sqlite_%'`,
        );
  return rows.map((row) => row.name).sort();
}

/** PostgreSQL: whether inserting records notifies the live feeds (NotifyEventLog's trigger); SQLite has none. */
async function notifiesEventLog(database: TestDatabase): Promise<boolean> {
  if (database.kind !== 'postgres') return false;
  const rows = await database.query<{ tgname: string }>(
    `SELECT "tgname" FROM pg_trigger WHERE "tgname" = 'tr_ingested_data_notify_event_log'`,
  );
  return rows.length === 1;
}

/** The names in TypeORM's migrations table, in the order they were applied (one row per application). */
async function recordedMigrations(database: TestDatabase): Promise<string[]> {
  const rows = await database.query<{ name: string }>('SELECT "name" FROM "migrations" ORDER BY "id"');
  return rows.map((row) => row.name);
}

function runMigrateCli(args: string[], variables: Record<string, string>, cwd: string): Promise<Finished> {
  return runSourceCli(MIGRATE, args, variables, cwd);
}

/**
 * One instance in a process of its own: connects, says `ready`, waits for a line on stdin,
 * then migrates and prints what it applied as JSON. Starting the migrations of all of them
 * with one write makes them race for real (separate processes, separate connections).
 */
const MIGRATING_INSTANCE = `
require(${JSON.stringify(require.resolve('reflect-metadata'))});
const { DataSource } = require(${JSON.stringify(require.resolve('typeorm'))});
const { dataSourceOptions } = require(${JSON.stringify(join(ROOT, 'src/config/database.options.ts'))});
const { validateEnvironment } = require(${JSON.stringify(join(ROOT, 'src/config/validate-environment.ts'))});
const { SchemaMigrator } = require(${JSON.stringify(join(ROOT, 'src/ingestion/infrastructure/persistence/schema-migrator.ts'))});
(async () => {
  const dataSource = await new DataSource({ ...dataSourceOptions(validateEnvironment(process.env)), logging: false }).initialize();
  try {
    process.stdout.write('ready\\n');
    await new Promise((resolve) => process.stdin.once('data', resolve));
    const applied = await new SchemaMigrator(dataSource).migrate();
    process.stdout.write(JSON.stringify({ applied }) + '\\n');
  } finally {
    await dataSource.destroy();
  }
})().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(String(error && error.stack) + '\\n');
    process.exit(1);
  },
);
`;

async function raceInProcesses(database: TestDatabase, count: number, cwd: string): Promise<string[][]> {
  const children = Array.from({ length: count }, () => {
    const child = spawn(process.execPath, ['-r', REGISTER_TYPESCRIPT, '-e', MIGRATING_INSTANCE], {
      cwd,
      env: environmentWith({ DATABASE_URL: database.url, SQLITE_BUSY_TIMEOUT_MS: '10000' }),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    return { child, closed, output: () => ({ stdout, stderr }) };
  });
  try {
    // All connected before any of them migrates.
    const deadline = Date.now() + 60000;
    while (!children.every(({ output }) => output().stdout.includes('ready\n'))) {
      const gone = children.find(({ child }) => child.exitCode !== null);
      if (gone) throw new Error(`an instance exited before it was ready:\n${gone.output().stderr}`);
      if (Date.now() > deadline) throw new Error('the instances did not get ready in time');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (const { child } of children) child.stdin.write('go\n');
    const codes = await Promise.all(children.map(({ closed }) => closed));
    codes.forEach((code, index) => {
      if (code !== 0) throw new Error(`instance ${index} exited with ${code}:\n${children[index].output().stderr}`);
    });
    return children.map(({ output }) => {
      const line = output()
        .stdout.split('\n')
        .find((text) => text.startsWith('{'));
      return (JSON.parse(line!) as { applied: string[] }).applied;
    });
  } finally {
    for (const { child, closed } of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await closed;
      }
    }
  }
}

/** Exactly one instance applied the whole history, in order; the others applied nothing. */
function expectOneMigrated(results: string[][]): void {
  expect(results.filter((applied) => applied.length > 0)).toEqual([MIGRATIONS]);
  expect(results.filter((applied) => applied.length === 0)).toHaveLength(results.length - 1);
}

describe('schema migrations', () => {
  let database: TestDatabase;
  let dataSources: DataSource[];
  let folder: string;

  /** A connected DataSource of an instance on the test database; destroyed after the test. */
  async function openDataSource(variables: Record<string, string> = {}): Promise<DataSource> {
    const dataSource = new DataSource({ ...dataSourceOptions(settingsFor(database, variables)), logging: false });
    dataSources.push(dataSource);
    return dataSource.initialize();
  }

  beforeEach(async () => {
    dataSources = [];
    database = await createTestDatabase();
    folder = mkdtempSync(join(tmpdir(), 'ingestion-migrate-'));
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    try {
      for (const dataSource of dataSources) {
        if (dataSource.isInitialized) await dataSource.destroy();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
      await database.remove();
    }
  });

  describe('instances starting together on one fresh database', () => {
    it(`${INSTANCES} processes migrating at once: one applies the migrations, the others wait and find none`, async () => {
      const results = await raceInProcesses(database, INSTANCES, folder);

      expectOneMigrated(results);
      expect(await recordedMigrations(database)).toEqual(MIGRATIONS);
      expect(await tableNames(database)).toEqual(expect.arrayContaining(TABLES));
    });

    // better-sqlite3 is synchronous: in one process, a second DataSource waiting for the write
    // lock blocks the event loop, so the holder cannot go on (across processes, the case above,
    // SQLite's lock works). PostgreSQL's driver is asynchronous, so the race runs in this process too.
    if (TEST_DATABASE_KIND === 'postgres') {
      it(`${INSTANCES} DataSources in one process migrating at once: one applies them, the others none`, async () => {
        const instances = await Promise.all(Array.from({ length: INSTANCES }, () => openDataSource()));

        const results = await Promise.all(instances.map((dataSource) => new SchemaMigrator(dataSource).migrate()));

        expectOneMigrated(results);
        expect(await recordedMigrations(database)).toEqual(MIGRATIONS);
        expect(await tableNames(database)).toEqual(expect.arrayContaining(TABLES));
        for (const dataSource of instances) {
          expect(await new SchemaMigrator(dataSource).status()).toEqual({ executed: MIGRATIONS, pending: [] });
        }
      });
    }
  });

  describe('status, revertLast and migrate', () => {
    it('reports all pending, then all executed in order; reverts the newest and re-applies it', async () => {
      const migrator = new SchemaMigrator(await openDataSource());

      expect(await migrator.status()).toEqual({ executed: [], pending: MIGRATIONS });

      expect(await migrator.migrate()).toEqual(MIGRATIONS);
      expect(await migrator.status()).toEqual({ executed: MIGRATIONS, pending: [] });
      expect(await recordedMigrations(database)).toEqual(MIGRATIONS);
      expect(await tableNames(database)).toEqual(expect.arrayContaining(TABLES));

      expect(await migrator.migrate()).toEqual([]);

      expect(await migrator.revertLast()).toBe(NEWEST);
      expect(await migrator.status()).toEqual({ executed: BEFORE_NEWEST, pending: [NEWEST] });
      expect(await recordedMigrations(database)).toEqual(BEFORE_NEWEST);
      expect(await tableNames(database)).not.toContain('stream_tokens');
      expect(await tableNames(database)).toEqual(
        expect.arrayContaining(TABLES.filter((table) => table !== 'stream_tokens')),
      );
      expect(await notifiesEventLog(database)).toBe(database.kind === 'postgres');
      expect(await migrator.revertLast()).toBe(NOTIFY_EVENT_LOG);
      expect(await notifiesEventLog(database)).toBe(false);

      expect(await migrator.migrate()).toEqual([NOTIFY_EVENT_LOG, NEWEST]);
      expect(await notifiesEventLog(database)).toBe(database.kind === 'postgres');
      expect(await migrator.status()).toEqual({ executed: MIGRATIONS, pending: [] });
      expect(await recordedMigrations(database)).toEqual(MIGRATIONS);
      expect(await tableNames(database)).toEqual(expect.arrayContaining(TABLES));
    });

    if (TEST_DATABASE_KIND === 'postgres') {
      it('gives the records stored before the event log positions in id order, and the head the last one', async () => {
        const migrator = new SchemaMigrator(await openDataSource());
        await migrator.migrate();
        const sinceEventLog = MIGRATIONS.slice(MIGRATIONS.indexOf(EVENT_LOG));
        for (const name of [...sinceEventLog].reverse()) expect(await migrator.revertLast()).toBe(name);
        const ids = [
          '019ad3a1-7c2e-7b3d-8f4a-000000000003',
          '019ad3a1-7c2e-7b3d-8f4a-000000000001',
          '019ad3a1-7c2e-7b3d-8f4a-000000000002',
        ];
        for (const id of ids) {
          await database.run(
            `INSERT INTO "ingested_data" ("id", "partner_id", "timestamp", "payload") VALUES (?, 'old', now(), '{}')`,
            id,
          );
        }

        expect(await migrator.migrate()).toEqual(sinceEventLog);

        const rows = await database.query<{ id: string; position: string }>(
          'SELECT "id", "position" FROM "ingested_data" ORDER BY "position"',
        );
        expect(rows).toEqual([...ids].sort().map((id, index) => ({ id, position: String(index + 1) })));
        expect(await database.query('SELECT "last_position" FROM "event_log_head"')).toEqual([{ last_position: '3' }]);
      });
    }

    it('reverts the whole history one by one, then has nothing to revert', async () => {
      const migrator = new SchemaMigrator(await openDataSource());
      await migrator.migrate();

      for (const name of [...MIGRATIONS].reverse()) expect(await migrator.revertLast()).toBe(name);
      expect(await migrator.revertLast()).toBeUndefined();
      expect(await migrator.status()).toEqual({ executed: [], pending: MIGRATIONS });
      expect(await tableNames(database)).toEqual(['migrations']);
    });

    it('sees the migrations applied by another instance', async () => {
      const first = new SchemaMigrator(await openDataSource());
      const second = new SchemaMigrator(await openDataSource());

      expect(await first.migrate()).toEqual(MIGRATIONS);
      expect(await second.status()).toEqual({ executed: MIGRATIONS, pending: [] });
      expect(await second.migrate()).toEqual([]);
      expect(await recordedMigrations(database)).toEqual(MIGRATIONS);
    });

    it('releases the lock when a migration fails, and records only what was committed', async () => {
      jest.spyOn(console, 'log').mockImplementation(() => undefined); // TypeORM reports the failed migration
      // The second migration fails: its table is there already.
      await database.execute('CREATE TABLE "idempotency_keys" ("scope" varchar(64))');
      const migrator = new SchemaMigrator(await openDataSource());

      await expect(migrator.migrate()).rejects.toThrow(/idempotency_keys/);

      if (database.kind === 'postgres') {
        // One transaction per migration: the first one stays.
        expect(await recordedMigrations(database)).toEqual([MIGRATIONS[0]]);
      } else {
        // One transaction around all of them: nothing stays.
        expect(await tableNames(database)).toEqual(['idempotency_keys']);
      }
      // The lock is free: another instance migrates once the obstacle is gone.
      await database.execute('DROP TABLE "idempotency_keys"');
      const other = new SchemaMigrator(await openDataSource());
      expect(await other.migrate()).toEqual(database.kind === 'postgres' ? MIGRATIONS.slice(1) : MIGRATIONS);
      expect(await recordedMigrations(database)).toEqual(MIGRATIONS);
    });
  });

  if (TEST_DATABASE_KIND === 'sqlite') {
    describe('on SQLite', () => {
      it('fails with SQLITE_BUSY (a database-unavailable error) while another writer holds the lock past the busy timeout', async () => {
        const migrator = new SchemaMigrator(await openDataSource({ SQLITE_BUSY_TIMEOUT_MS: '200' }));
        const writer = new Database(database.path);
        try {
          writer.exec('BEGIN IMMEDIATE');
          const failure = await migrator.migrate().then(
            () => undefined,
            (error: unknown) => error,
          );
          expect(failure).toMatchObject({ code: 'SQLITE_BUSY' });
          expect(isDatabaseUnavailable(failure)).toBe(true);
          writer.exec('ROLLBACK');
        } finally {
          writer.close();
        }

        expect(await migrator.migrate()).toEqual(MIGRATIONS);
        expect(await recordedMigrations(database)).toEqual(MIGRATIONS);
      });
    });
  }

  if (TEST_DATABASE_KIND === 'postgres') {
    describe('on PostgreSQL', () => {
      /** A session of its own on the test database (what another instance's connection would be). */
      async function otherSession(): Promise<Client> {
        const client = new Client({ connectionString: database.url });
        await client.connect();
        return client;
      }

      async function advisoryLocks(): Promise<number> {
        const [{ n }] = await database.query<{ n: string }>(
          `SELECT COUNT(*) AS "n" FROM pg_locks
           WHERE "locktype" = 'advisory' AND "database" = (SELECT "oid" FROM pg_database WHERE "datname" = current_database())`,
        );
        return Number(n);
      }

      it('stores payload as json (not jsonb), id as uuid, timestamp as timestamp with time zone, position as bigint', async () => {
        await new SchemaMigrator(await openDataSource()).migrate();

        const columns = await database.query<{ column_name: string; data_type: string }>(
          `SELECT "column_name", "data_type" FROM information_schema.columns
           WHERE "table_schema" = 'public' AND "table_name" = 'ingested_data'`,
        );
        const types = Object.fromEntries(columns.map((column) => [column.column_name, column.data_type]));
        expect(types).toEqual({
          id: 'uuid',
          partner_id: 'character varying',
          timestamp: 'timestamp with time zone',
          payload: 'json',
          position: 'bigint',
        });
      });

      it('releases the advisory lock after migrating', async () => {
        const dataSource = await openDataSource();
        expect(await new SchemaMigrator(dataSource).migrate()).toEqual(MIGRATIONS);

        // The migrating connection is back in the (still open) pool, without the lock.
        expect(await advisoryLocks()).toBe(0);
        const session = await otherSession();
        try {
          const taken = await session.query<{ locked: boolean }>(
            'SELECT pg_try_advisory_lock($1::bigint) AS "locked"',
            [MIGRATION_LOCK_KEY],
          );
          expect(taken.rows[0].locked).toBe(true);
          const released = await session.query<{ unlocked: boolean }>(
            'SELECT pg_advisory_unlock($1::bigint) AS "unlocked"',
            [MIGRATION_LOCK_KEY],
          );
          expect(released.rows[0].unlocked).toBe(true);
        } finally {
          await session.end();
        }

        // Another instance gets the lock at once and finds nothing to do.
        const started = Date.now();
        expect(await new SchemaMigrator(await openDataSource()).migrate()).toEqual([]);
        expect(Date.now() - started).toBeLessThan(5000);
        expect(await advisoryLocks()).toBe(0);
      });

      it('releases the advisory lock after reverting', async () => {
        const migrator = new SchemaMigrator(await openDataSource());
        await migrator.migrate();
        expect(await migrator.revertLast()).toBe(NEWEST);
        expect(await advisoryLocks()).toBe(0);
      });

      it('waits for the advisory lock held by another session, then migrates', async () => {
        const session = await otherSession();
        try {
          await session.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
          let settled = false;
          const migrating = new SchemaMigrator(await openDataSource()).migrate().finally(() => (settled = true));

          await new Promise((resolve) => setTimeout(resolve, 500));
          expect(settled).toBe(false);
          expect(await tableNames(database)).toEqual([]);

          await session.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
          expect(await migrating).toEqual(MIGRATIONS);
        } finally {
          await session.end();
        }
      });

      it('gives the migrating connection its statement timeout back', async () => {
        jest.spyOn(console, 'log').mockImplementation(() => undefined); // TypeORM reports the failed migration
        // One connection in the pool: every query below runs on the one that migrated.
        const dataSource = await openDataSource({ DATABASE_POOL_SIZE: '1', DATABASE_STATEMENT_TIMEOUT_MS: '1234' });
        const session = async () =>
          (
            await dataSource.query<{ pid: number; timeout: string }[]>(
              `SELECT pg_backend_pid() AS "pid", current_setting('statement_timeout') AS "timeout"`,
            )
          )[0];
        const before = await session();
        expect(before.timeout).toBe('1234ms');

        const migrator = new SchemaMigrator(dataSource);
        expect(await migrator.migrate()).toEqual(MIGRATIONS);
        expect(await dataSource.query('SHOW statement_timeout')).toEqual([{ statement_timeout: '1234ms' }]);
        expect(await session()).toEqual(before);

        expect(await migrator.revertLast()).toBe(NEWEST);
        expect(await session()).toEqual(before);

        // After a failed migration too: the reverted one's table is there already.
        await database.execute(`CREATE TABLE "stream_tokens" ("token_hash" char(64))`);
        await expect(migrator.migrate()).rejects.toThrow(/stream_tokens/);
        expect(await session()).toEqual(before);
        expect(await advisoryLocks()).toBe(0);
      });
    });
  }

  describe('the migrate CLI (src/migrate.ts)', () => {
    it('shows pending migrations, runs them, shows them applied, reverts the newest', async () => {
      const env = { DATABASE_URL: database.url };

      const fresh = await runMigrateCli(['show'], env, folder);
      expect(fresh).toMatchObject({ code: 0, stderr: '' });
      expect(fresh.stdout).toContain(MIGRATIONS.map((name) => `[ ] ${name}`).join('\n'));
      expect(fresh.stdout).not.toContain('[X]');

      const run = await runMigrateCli(['run'], env, folder);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toContain(MIGRATIONS.map((name) => `applied ${name}`).join('\n'));
      expect(await recordedMigrations(database)).toEqual(MIGRATIONS);

      const again = await runMigrateCli(['run'], env, folder);
      expect(again).toMatchObject({ code: 0 });
      expect(again.stdout).toContain('no pending migration');

      const applied = await runMigrateCli(['show'], env, folder);
      expect(applied).toMatchObject({ code: 0, stderr: '' });
      expect(applied.stdout).toContain(MIGRATIONS.map((name) => `[X] ${name}`).join('\n'));
      expect(applied.stdout).not.toContain('[ ]');

      const reverted = await runMigrateCli(['revert'], env, folder);
      expect(reverted).toMatchObject({ code: 0, stderr: '' });
      expect(reverted.stdout).toContain(`reverted ${NEWEST}`);
      expect(await recordedMigrations(database)).toEqual(BEFORE_NEWEST);

      const after = await runMigrateCli(['show'], env, folder);
      expect(after.stdout).toContain(`${BEFORE_NEWEST.map((name) => `[X] ${name}`).join('\n')}\n[ ] ${NEWEST}`);
    });

    it('exits 2 with the usage on an unknown command or none', async () => {
      for (const args of [['frobnicate'], []]) {
        const result = await runMigrateCli(args, { DATABASE_URL: database.url }, folder);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/^usage: /);
        expect(result.stdout).toBe('');
      }
      expect(await tableNames(database)).toEqual([]);
    });

    it('exits 1 naming DATABASE_URL when it is invalid', async () => {
      const result = await runMigrateCli(['show'], { DATABASE_URL: 'mysql://localhost/db' }, folder);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('DATABASE_URL');
      expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    });

    it('reads DATABASE_URL from .env in its working directory; the environment wins over it', async () => {
      writeFileSync(join(folder, '.env'), `DATABASE_URL=${database.url}\n`);
      const fromFile = await runMigrateCli(['run'], {}, folder);
      expect(fromFile).toMatchObject({ code: 0, stderr: '' });
      expect(fromFile.stdout).toContain(`applied ${MIGRATIONS[0]}`);

      writeFileSync(join(folder, '.env'), 'DATABASE_URL=mysql://localhost/db\n');
      const fromEnvironment = await runMigrateCli(['show'], { DATABASE_URL: database.url }, folder);
      expect(fromEnvironment).toMatchObject({ code: 0, stderr: '' });
      expect(fromEnvironment.stdout).toContain(`[X] ${NEWEST}`);
    });

    if (TEST_DATABASE_KIND === 'postgres') {
      it('never prints the password of the database URL', async () => {
        const url = new URL(database.url);
        url.password = 'secret';
        const env = { DATABASE_URL: url.toString() };

        const outputs: string[] = [];
        for (const command of ['show', 'run', 'show', 'revert']) {
          const result = await runMigrateCli([command], env, folder);
          expect(result).toMatchObject({ code: 0, stderr: '' });
          expect(result.stdout).toContain(`database: postgres://postgres:***@${url.host}${url.pathname}`);
          outputs.push(result.stdout, result.stderr);
        }
        // Failures too: a database that is not there, a server that does not answer.
        for (const failing of [
          `postgres://postgres:secret@${url.host}/ingestion_test_does_not_exist`,
          'postgres://postgres:secret@127.0.0.1:1/ingestion',
        ]) {
          const result = await runMigrateCli(['show'], { DATABASE_URL: failing }, folder);
          expect(result.code).toBe(1);
          expect(result.stderr).toContain('migration failed');
          outputs.push(result.stdout, result.stderr);
        }
        expect(outputs.join('\n')).not.toContain('secret');
      });
    }
  });
});
