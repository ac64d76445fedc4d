import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Database, Statement } from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { ClaimOutcome, IdempotencyClaim } from '../../domain/idempotency.claim';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { Timestamp } from '../../domain/timestamp.value-object';
import { DatabaseWritesMonitor } from './database-writes.monitor';
import { IngestedDataMapper } from './ingested-data.mapper';
import { DataRepository } from '../../domain/data.repository';
import { claimParameters, outcomeAgainst, StoredClaimRow } from './claim-rows';
import { sqliteConnectionOf } from './sqlite-connection';

const SAVED: ClaimOutcome = { kind: 'saved' };

const INSERT_ONE_SQL = 'INSERT INTO "ingested_data" ("id", "partner_id", "timestamp", "payload") VALUES (?, ?, ?, ?)';

/** Inserts or takes over an expired claim; a live claim on (scope, key) is left as it is (no change). */
const CLAIM_KEY_SQL = `INSERT INTO "idempotency_keys" ("scope", "key", "fingerprint", "status", "response", "created_at", "expires_at")
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT ("scope", "key") DO UPDATE SET
    "fingerprint" = excluded."fingerprint", "status" = excluded."status", "response" = excluded."response",
    "created_at" = excluded."created_at", "expires_at" = excluded."expires_at"
  WHERE "idempotency_keys"."expires_at" <= excluded."created_at"`;

const STORED_CLAIM_SQL =
  'SELECT "fingerprint", "status", "response" FROM "idempotency_keys" WHERE "scope" = ? AND "key" = ?';

const PURGE_CLAIMS_SQL = `DELETE FROM "idempotency_keys" WHERE rowid IN
  (SELECT rowid FROM "idempotency_keys" WHERE "expires_at" <= ? LIMIT ?)`;

/**
 * Writes run in a synchronous transaction on the one shared native connection: a transaction spanning awaits would let
 * other requests' statements run inside it. `BEGIN IMMEDIATE` makes another process wait for the write lock.
 */
@Injectable()
export class SqliteDataRepository extends DataRepository {
  /** Rows per multi-row INSERT: 4 parameters each, far below SQLite's 32,766. */
  static readonly ROWS_PER_INSERT = 1000;
  private static readonly MAX_CACHED_STATEMENTS = 64;

  private readonly statements = new Map<string, Statement>();
  private statementsConnection?: Database;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writesMonitor: DatabaseWritesMonitor,
  ) {
    super();
  }

  save(records: readonly IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    const rows = records.map((record) => IngestedDataMapper.toRow(record));
    return this.writesMonitor.guard(async () => {
      const connection = await this.connection();
      if (claim === undefined && rows.length === 1) {
        const [row] = rows;
        this.prepared(connection, INSERT_ONE_SQL).run(row.id, row.partner_id, row.timestamp, row.payload);
        return SAVED;
      }
      const transaction = connection.transaction((): ClaimOutcome => {
        if (claim && this.prepared(connection, CLAIM_KEY_SQL).run(...claimParameters(claim)).changes === 0) {
          const stored = this.prepared(connection, STORED_CLAIM_SQL).get(
            claim.scope,
            claim.key.value,
          ) as StoredClaimRow;
          return outcomeAgainst(stored, claim);
        }
        for (let start = 0; start < rows.length; start += SqliteDataRepository.ROWS_PER_INSERT) {
          const slice = rows.slice(start, start + SqliteDataRepository.ROWS_PER_INSERT);
          this.insertStatement(connection, slice.length).run(
            slice.flatMap((row) => [row.id, row.partner_id, row.timestamp, row.payload]),
          );
        }
        return SAVED;
      });
      return transaction.immediate();
    });
  }

  purgeExpiredClaims(now: Timestamp, limit: number): Promise<number> {
    return this.writesMonitor.guard(async () => {
      const connection = await this.connection();
      return this.prepared(connection, PURGE_CLAIMS_SQL).run(now.value, limit).changes;
    });
  }

  private insertStatement(connection: Database, rowCount: number): Statement {
    const values = Array.from({ length: rowCount }, () => '(?, ?, ?, ?)').join(', ');
    return this.prepared(
      connection,
      `INSERT INTO "ingested_data" ("id", "partner_id", "timestamp", "payload") VALUES ${values}`,
    );
  }

  /** Prepared once per connection; batches of many sizes each have their own INSERT, so the cache is bounded. */
  private prepared(connection: Database, sql: string): Statement {
    if (
      connection !== this.statementsConnection ||
      this.statements.size >= SqliteDataRepository.MAX_CACHED_STATEMENTS
    ) {
      this.statements.clear();
      this.statementsConnection = connection;
    }
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = connection.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** TypeORM's one better-sqlite3 connection, as its query runner hands it out. */
  private async connection(): Promise<Database> {
    if (this.statementsConnection?.open) return this.statementsConnection;
    return sqliteConnectionOf(this.dataSource);
  }
}
