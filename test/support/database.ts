import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { POSTGRES_TYPE_PARSERS } from '../../src/ingestion/infrastructure/persistence/postgres-type-parsers';

/**
 * The database the e2e suite runs against: the `e2e` Jest project uses SQLite files, the
 * `e2e-postgres` project sets TEST_DATABASE=postgres (see jest.config.js) and runs the same
 * specs on PostgreSQL, each app on a database of its own, dropped afterwards.
 */
export type DatabaseKind = 'sqlite' | 'postgres';

export const TEST_DATABASE_KIND: DatabaseKind = process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

/** Where the test databases are created (trust auth on this machine); `test` is the maintenance database. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  readonly kind: DatabaseKind;
  /** The DATABASE_URL of the app. */
  readonly url: string;
  /** SQLite: the file; PostgreSQL: the database name. */
  readonly path: string;
  /**
   * Rows of one statement, run through a connection of its own (what another process sees).
   * Placeholders are `?` on both databases; values come back as the app reads them
   * (timestamps as RFC 3339 text, JSON as its stored text).
   */
  query<T = Record<string, unknown>>(sql: string, ...parameters: unknown[]): Promise<T[]>;
  /** Runs one statement with parameters; answers the number of rows changed. */
  run(sql: string, ...parameters: unknown[]): Promise<number>;
  /** Runs SQL without parameters (one or more statements). */
  execute(sql: string): Promise<void>;
  /** Drops the database (PostgreSQL) or deletes its folder (SQLite). */
  remove(): Promise<void>;
}

/** A fresh, empty database of the kind this Jest project tests. */
export function createTestDatabase(kind: DatabaseKind = TEST_DATABASE_KIND): Promise<TestDatabase> {
  return kind === 'postgres' ? createPostgresDatabase() : Promise.resolve(createSqliteDatabase());
}

function createSqliteDatabase(): TestDatabase {
  const folder = mkdtempSync(join(tmpdir(), 'ingestion-test-'));
  const path = join(folder, 'ingestion.sqlite');
  const withConnection = <T>(work: (db: Database.Database) => T): T => {
    const db = new Database(path, { timeout: 5000 });
    try {
      return work(db);
    } finally {
      db.close();
    }
  };
  return {
    kind: 'sqlite',
    url: `sqlite:${path}`,
    path,
    query: async <T>(sql: string, ...parameters: unknown[]) =>
      withConnection((db) => db.prepare(sql).all(...parameters) as T[]),
    run: async (sql, ...parameters) => withConnection((db) => db.prepare(sql).run(...parameters).changes),
    execute: async (sql) => withConnection((db) => void db.exec(sql)),
    remove: async () => rmSync(folder, { recursive: true, force: true }),
  };
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  const name = `ingestion_test_${randomBytes(6).toString('hex')}`;
  await withPostgres(TEST_POSTGRES_URL, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const on = <T>(work: (client: Client) => Promise<T>) => withPostgres(databaseUrl, work);
  return {
    kind: 'postgres',
    url: databaseUrl,
    path: name,
    query: <T>(sql: string, ...parameters: unknown[]) =>
      on(async (client) => (await client.query(numbered(sql), parameters)).rows as T[]),
    run: (sql, ...parameters) => on(async (client) => (await client.query(numbered(sql), parameters)).rowCount ?? 0),
    execute: (sql) => on(async (client) => void (await client.query(sql))),
    remove: () =>
      withPostgres(TEST_POSTGRES_URL, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }),
  };
}

async function withPostgres<T>(connectionString: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString, types: POSTGRES_TYPE_PARSERS });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** `?` → `$1`, `$2`… (the test SQL has no `?` inside string literals). */
function numbered(sql: string): string {
  let index = 0;
  return sql.replace(/\?/g, () => `$${++index}`);
}

/** A row of `ingested_data` as both migrations define it (besides its place in the event log). */
export interface SeedRow {
  id: string;
  partner_id: string;
  timestamp: string;
  payload: string;
}

/**
 * `count` rows with fresh UUIDv7 ids in ascending order, timestamps one millisecond apart
 * from `start`, and `{"n":<index>}` payloads.
 */
export function seedRows(count: number, partnerId: string | ((index: number) => string), start: Date): SeedRow[] {
  const rows: SeedRow[] = [];
  for (let index = 0; index < count; index++) {
    rows.push({
      id: uuidv7(),
      partner_id: typeof partnerId === 'string' ? partnerId : partnerId(index),
      timestamp: new Date(start.getTime() + index).toISOString(),
      payload: JSON.stringify({ n: index }),
    });
  }
  return rows;
}

/**
 * Inserts rows straight into the app's database through a connection of its own, in one
 * transaction, in array order (the app must have run its migrations on it).
 */
export async function insertRows(database: TestDatabase, rows: SeedRow[]): Promise<void> {
  if (database.kind === 'postgres') {
    const columns = (name: keyof SeedRow) => rows.map((row) => row[name]);
    // Positions in the event log as the app takes them (see PostgresDataRepository).
    await database.run(
      `WITH "head" AS (
         UPDATE "event_log_head" SET "last_position" = "last_position" + ? RETURNING "last_position" AS "last"
       )
       INSERT INTO "ingested_data" ("id", "partner_id", "timestamp", "payload", "position")
       SELECT "r"."id", "r"."partner_id", "r"."timestamp", "r"."payload", "head"."last" - ? + "r"."ordinal"
       FROM "head", unnest(?::uuid[], ?::varchar[], ?::timestamptz[], ?::json[])
         WITH ORDINALITY AS "r" ("id", "partner_id", "timestamp", "payload", "ordinal")`,
      rows.length,
      rows.length,
      columns('id'),
      columns('partner_id'),
      columns('timestamp'),
      columns('payload'),
    );
    return;
  }
  const db = new Database(database.path, { timeout: 5000 });
  try {
    const insert = db.prepare(
      'INSERT INTO "ingested_data" ("id", "partner_id", "timestamp", "payload") VALUES (@id, @partner_id, @timestamp, @payload)',
    );
    db.transaction((all: SeedRow[]) => {
      for (const row of all) insert.run(row);
    })(rows);
  } finally {
    db.close();
  }
}

/** The stored row for an id, read through a connection of its own (what another process would see). */
export async function readRow(database: TestDatabase, id: string): Promise<SeedRow | undefined> {
  const rows = await database.query<SeedRow>(
    'SELECT "id", "partner_id", "timestamp", "payload" FROM "ingested_data" WHERE "id" = ?',
    id,
  );
  return rows[0];
}

export async function countRows(database: TestDatabase, table = 'ingested_data'): Promise<number> {
  const [{ n }] = await database.query<{ n: number | string }>(`SELECT COUNT(*) AS "n" FROM "${table}"`);
  return Number(n);
}

/**
 * Makes every insert of `partnerId` into ingested_data fail inside the database with the
 * message 'injected fault' (a trigger); the returned function removes it.
 */
export async function installInsertFault(database: TestDatabase, partnerId: string): Promise<() => Promise<void>> {
  const name = `fail_${randomBytes(8).toString('hex')}`;
  if (database.kind === 'postgres') {
    await database.execute(
      `CREATE FUNCTION "${name}"() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW."partner_id" = '${partnerId}' THEN RAISE EXCEPTION 'injected fault'; END IF;
         RETURN NEW;
       END $$;
       CREATE TRIGGER "${name}" BEFORE INSERT ON "ingested_data" FOR EACH ROW EXECUTE FUNCTION "${name}"();`,
    );
    return () =>
      database.execute(`DROP TRIGGER IF EXISTS "${name}" ON "ingested_data"; DROP FUNCTION IF EXISTS "${name}"();`);
  }
  await database.execute(
    `CREATE TRIGGER "${name}" BEFORE INSERT ON "ingested_data" WHEN NEW."partner_id" = '${partnerId}'
     BEGIN SELECT RAISE(ABORT, 'injected fault'); END;`,
  );
  return () => database.execute(`DROP TRIGGER IF EXISTS "${name}"`);
}
