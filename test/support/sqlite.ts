import Database from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import type { TestDatabase } from './test-app';

/** A row of `ingested_data` as the migration defines it (`seq` is assigned by SQLite). */
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
 * Inserts rows straight into the app's SQLite file through a second connection, in one
 * transaction (the app must have run its migrations, i.e. have booted once on this file).
 */
export function insertRows(database: TestDatabase, rows: SeedRow[]): void {
  withConnection(database, (db) => {
    const insert = db.prepare(
      'INSERT INTO "ingested_data" ("id", "partner_id", "timestamp", "payload") VALUES (@id, @partner_id, @timestamp, @payload)',
    );
    db.transaction((all: SeedRow[]) => {
      for (const row of all) insert.run(row);
    })(rows);
  });
}

/** The stored row for an id, read through a separate connection (what another process would see). */
export function readRow(database: TestDatabase, id: string): SeedRow | undefined {
  return withConnection(database, (db) =>
    db
      .prepare<[string], SeedRow>(
        'SELECT "id", "partner_id", "timestamp", "payload" FROM "ingested_data" WHERE "id" = ?',
      )
      .get(id),
  );
}

export function countRows(database: TestDatabase): number {
  return withConnection(
    database,
    (db) => db.prepare<[], { n: number }>('SELECT COUNT(*) AS "n" FROM "ingested_data"').get()!.n,
  );
}

function withConnection<T>(database: TestDatabase, work: (db: Database.Database) => T): T {
  const db = new Database(database.path, { timeout: 5000 });
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/** Runs SQL (one or more statements, e.g. a trigger) in the app's SQLite file through a second connection. */
export function executeSql(database: TestDatabase, sql: string): void {
  withConnection(database, (db) => db.exec(sql));
}

/** Runs one statement with parameters through a second connection; answers the number of rows changed. */
export function runSql(database: TestDatabase, sql: string, ...parameters: unknown[]): number {
  return withConnection(database, (db) => db.prepare(sql).run(...parameters).changes);
}

/** The rows of one query, read through a second connection. */
export function queryRows<T = Record<string, unknown>>(
  database: TestDatabase,
  sql: string,
  ...parameters: unknown[]
): T[] {
  return withConnection(database, (db) => db.prepare(sql).all(...parameters) as T[]);
}
