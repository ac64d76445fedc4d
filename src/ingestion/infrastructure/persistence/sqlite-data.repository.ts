import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Database, Statement } from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { DataListCriteria } from '../../domain/data-list.criteria';
import { ClaimOutcome, IdempotencyClaim } from '../../domain/idempotency.claim';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { Timestamp } from '../../domain/timestamp.value-object';
import { DatabaseWritesMonitor } from './database-writes.monitor';
import { IngestedDataMapper } from './ingested-data.mapper';
import {
  CLAIM_KEY_SQL,
  claimParameters,
  outcomeAgainst,
  STORED_CLAIM_SQL,
  StoredClaimRow,
  SummaryRow,
  StreamedListLimits,
  toSummary,
  TypeOrmDataRepository,
} from './typeorm-data.repository';
import type { ChunkReader } from './streamed-chunks';

/**
 * SQLite (better-sqlite3): one connection per process, so one writer.
 *
 * Lists walk `seq`, SQLite's rowid: it follows commit order, and ids are generated and
 * inserted in one synchronous step on the one connection, so `seq` order is id order and
 * the walk needs no second index. A streamed list stops at the `MAX(seq)` taken when it
 * starts: a consistent snapshot without holding a read transaction on the shared connection.
 *
 * Transactions (`saveAll`) run on the native connection under TypeORM, synchronously: all
 * the connection's users share it, and a transaction spanning awaits would let other
 * requests' statements run inside it. A synchronous transaction cannot be interleaved, and
 * `BEGIN IMMEDIATE` makes another process wait for the write lock instead of racing.
 */
@Injectable()
export class SqliteDataRepository extends TypeOrmDataRepository {
  /** Rows per multi-row INSERT: 4 parameters each, far below SQLite's 32,766. */
  static readonly ROWS_PER_INSERT = 1000;
  private static readonly MAX_CACHED_STATEMENTS = 64;

  protected readonly positionColumn = '"seq"';
  private readonly statements = new Map<string, Statement>();
  private statementsConnection?: Database;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    streamedLists: StreamedListLimits,
    writesMonitor: DatabaseWritesMonitor,
  ) {
    super(dataSource, streamedLists, writesMonitor);
  }

  protected dialect(sql: string): string {
    return sql;
  }

  save(data: IngestedData): Promise<void> {
    const row = IngestedDataMapper.toRow(data);
    return this.guardedWrite(async () => {
      await this.query('INSERT INTO "ingested_data" ("id", "partner_id", "timestamp", "payload") VALUES (?, ?, ?, ?)', [
        row.id,
        row.partner_id,
        row.timestamp,
        row.payload,
      ]);
    });
  }

  saveAll(records: IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    const rows = records.map((record) => IngestedDataMapper.toRow(record));
    return this.guardedWrite(async () => {
      const transaction = this.sqlite().transaction((): ClaimOutcome => {
        if (claim && this.prepared(CLAIM_KEY_SQL).run(...claimParameters(claim)).changes === 0) {
          const stored = this.prepared(STORED_CLAIM_SQL).get(claim.scope, claim.key.value) as StoredClaimRow;
          return outcomeAgainst(stored, claim);
        }
        for (let start = 0; start < rows.length; start += SqliteDataRepository.ROWS_PER_INSERT) {
          const slice = rows.slice(start, start + SqliteDataRepository.ROWS_PER_INSERT);
          this.insertStatement(slice.length).run(
            slice.flatMap((row) => [row.id, row.partner_id, row.timestamp, row.payload]),
          );
        }
        return { kind: 'saved' };
      });
      return transaction.immediate();
    });
  }

  purgeExpiredClaims(now: Timestamp, limit: number): Promise<number> {
    return this.guardedWrite(async () => {
      const result = this.prepared(
        `DELETE FROM "idempotency_keys" WHERE rowid IN
           (SELECT rowid FROM "idempotency_keys" WHERE "expires_at" <= ? LIMIT ?)`,
      ).run(now.value, limit);
      return result.changes;
    });
  }

  protected async openChunkReader(criteria: DataListCriteria): Promise<ChunkReader> {
    let afterSeq = ((await this.positionAfter(criteria)) as number | undefined) ?? 0;
    // The list is what was committed when it started: rows added while it streams wait for the next read.
    const [{ last }] = await this.query<{ last: number | null }>('SELECT MAX("seq") AS "last" FROM "ingested_data"');
    const lastSeq = last ?? 0;
    return {
      read: (limit) =>
        this.guarded(async () => {
          if (afterSeq >= lastSeq) return [];
          const [sql, parameters] = this.listQuery(criteria, { after: afterSeq, upTo: lastSeq, limit });
          const rows = await this.query<SummaryRow>(sql, parameters);
          if (rows.length > 0) afterSeq = rows[rows.length - 1].position as number;
          return rows.map(toSummary);
        }),
      close: async () => undefined,
    };
  }

  private insertStatement(rowCount: number): Statement {
    const values = Array.from({ length: rowCount }, () => '(?, ?, ?, ?)').join(', ');
    return this.prepared(`INSERT INTO "ingested_data" ("id", "partner_id", "timestamp", "payload") VALUES ${values}`);
  }

  /**
   * A statement of the native connection, prepared once per connection (a reconnect starts
   * afresh). Batches of many sizes each have their own INSERT, so the cache is bounded.
   */
  private prepared(sql: string): Statement {
    const connection = this.sqlite();
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

  /** The better-sqlite3 connection TypeORM opened (its only one). */
  private sqlite(): Database {
    return (this.dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection;
  }
}
