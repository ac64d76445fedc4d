import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Database, Statement } from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { DataId } from '../../domain/data-id.value-object';
import { DataListCriteria } from '../../domain/data-list.criteria';
import { DataRepository, StoredDataSummary } from '../../domain/data.repository';
import { Timestamp } from '../../domain/timestamp.value-object';
import { ClaimOutcome, IdempotencyClaim } from '../../domain/idempotency.claim';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { UnknownCursorError } from '../../domain/ingestion.errors';
import { IngestedDataMapper, IngestedDataRow } from './ingested-data.mapper';

interface SummaryRow {
  seq: number;
  id: string;
  partner_id: string;
  timestamp: string;
  payload?: string;
}

/**
 * TypeORM adapter. Statements are plain parameterised SQL run through the DataSource, which
 * prepares and caches them: the hot path is one INSERT, with no re-select and no ORM unit of
 * work. Lists walk the `seq` keyset in chunks, so no query ever holds the whole table.
 *
 * Transactions (`saveAll`) run on the better-sqlite3 connection under TypeORM, synchronously:
 * all the connection's users share it, and a TypeORM transaction spanning awaits would let
 * other requests' statements run inside it. A synchronous transaction cannot be interleaved,
 * and `BEGIN IMMEDIATE` makes another process wait for the write lock instead of racing.
 */
@Injectable()
export class TypeOrmDataRepository extends DataRepository {
  static readonly CHUNK_SIZE = 1000;
  /** Rows per multi-row INSERT: 4 parameters each, far below SQLite's 32,766. */
  static readonly ROWS_PER_INSERT = 1000;
  private static readonly MAX_CACHED_STATEMENTS = 64;

  private readonly statements = new Map<string, Statement>();
  private statementsConnection?: Database;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async save(data: IngestedData): Promise<void> {
    const row = IngestedDataMapper.toRow(data);
    await this.dataSource.query(
      'INSERT INTO "ingested_data" ("id", "partner_id", "timestamp", "payload") VALUES (?, ?, ?, ?)',
      [row.id, row.partner_id, row.timestamp, row.payload],
    );
  }

  async saveAll(records: IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    const rows = records.map((record) => IngestedDataMapper.toRow(record));
    const transaction = this.sqlite().transaction((): ClaimOutcome => {
      if (claim && !this.claimKey(claim)) return this.outcomeAgainstStoredClaim(claim);
      for (let start = 0; start < rows.length; start += TypeOrmDataRepository.ROWS_PER_INSERT) {
        const slice = rows.slice(start, start + TypeOrmDataRepository.ROWS_PER_INSERT);
        this.insertStatement(slice.length).run(
          slice.flatMap((row) => [row.id, row.partner_id, row.timestamp, row.payload]),
        );
      }
      return { kind: 'saved' };
    });
    return transaction.immediate();
  }

  async purgeExpiredClaims(now: Timestamp, limit: number): Promise<number> {
    const result = this.prepared(
      `DELETE FROM "idempotency_keys" WHERE rowid IN
           (SELECT rowid FROM "idempotency_keys" WHERE "expires_at" <= ? LIMIT ?)`,
    ).run(now.value, limit);
    return result.changes;
  }

  /** Inserts the claim, or takes over an expired one; false when a live claim holds the key. */
  private claimKey(claim: IdempotencyClaim): boolean {
    const { changes } = this.prepared(
      `INSERT INTO "idempotency_keys" ("scope", "key", "fingerprint", "status", "response", "created_at", "expires_at")
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT ("scope", "key") DO UPDATE SET
           "fingerprint" = excluded."fingerprint", "status" = excluded."status", "response" = excluded."response",
           "created_at" = excluded."created_at", "expires_at" = excluded."expires_at"
         WHERE "idempotency_keys"."expires_at" <= excluded."created_at"`,
    ).run(
      claim.scope,
      claim.key.value,
      claim.fingerprint,
      claim.response.status,
      claim.response.body,
      claim.createdAt.value,
      claim.expiresAt.value,
    );
    return changes === 1;
  }

  private outcomeAgainstStoredClaim(claim: IdempotencyClaim): ClaimOutcome {
    const stored = this.prepared(
      'SELECT "fingerprint", "status", "response" FROM "idempotency_keys" WHERE "scope" = ? AND "key" = ?',
    ).get(claim.scope, claim.key.value) as { fingerprint: string; status: number; response: string };
    return stored.fingerprint === claim.fingerprint
      ? { kind: 'replay', response: { status: stored.status, body: stored.response } }
      : { kind: 'mismatch' };
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
      this.statements.size >= TypeOrmDataRepository.MAX_CACHED_STATEMENTS
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

  async findById(id: DataId): Promise<IngestedData | null> {
    const rows: IngestedDataRow[] = await this.dataSource.query(
      'SELECT "id", "partner_id", "timestamp", "payload" FROM "ingested_data" WHERE "id" = ?',
      [id.value],
    );
    return rows.length === 0 ? null : IngestedDataMapper.toDomain(rows[0]);
  }

  async findPage(criteria: DataListCriteria, limit: number): Promise<StoredDataSummary[]> {
    const afterSeq = await this.seqAfter(criteria);
    const rows = await this.selectSummaries(criteria, afterSeq, undefined, limit);
    return rows.map(toSummary);
  }

  async streamChunks(criteria: DataListCriteria): Promise<AsyncIterable<StoredDataSummary[]>> {
    const afterSeq = await this.seqAfter(criteria);
    // The list is what was committed when it started: rows added while it streams wait for the next read.
    const [{ last }] = await this.dataSource.query<Array<{ last: number | null }>>(
      'SELECT MAX("seq") AS "last" FROM "ingested_data"',
    );
    return this.chunksBetween(criteria, afterSeq, last ?? 0);
  }

  private async *chunksBetween(
    criteria: DataListCriteria,
    afterSeq: number,
    lastSeq: number,
  ): AsyncIterable<StoredDataSummary[]> {
    let cursor = afterSeq;
    while (cursor < lastSeq) {
      const rows = await this.selectSummaries(criteria, cursor, lastSeq, TypeOrmDataRepository.CHUNK_SIZE);
      if (rows.length > 0) yield rows.map(toSummary);
      if (rows.length < TypeOrmDataRepository.CHUNK_SIZE) return;
      cursor = rows[rows.length - 1].seq;
    }
  }

  private async seqAfter(criteria: DataListCriteria): Promise<number> {
    if (!criteria.after) return 0;
    const rows: Array<{ seq: number }> = await this.dataSource.query(
      'SELECT "seq" FROM "ingested_data" WHERE "id" = ?',
      [criteria.after.value],
    );
    if (rows.length === 0) throw new UnknownCursorError(criteria.after.value);
    return rows[0].seq;
  }

  private selectSummaries(
    criteria: DataListCriteria,
    afterSeq: number,
    lastSeq: number | undefined,
    limit: number,
  ): Promise<SummaryRow[]> {
    const columns = criteria.includePayload
      ? '"seq", "id", "partner_id", "timestamp", "payload"'
      : '"seq", "id", "partner_id", "timestamp"';
    const conditions = ['"seq" > ?'];
    const parameters: Array<string | number> = [afterSeq];
    if (lastSeq !== undefined) {
      conditions.push('"seq" <= ?');
      parameters.push(lastSeq);
    }
    if (criteria.partnerId) {
      conditions.push('"partner_id" = ?');
      parameters.push(criteria.partnerId.value);
    }
    if (criteria.since) {
      conditions.push('"timestamp" >= ?');
      parameters.push(criteria.since.value);
    }
    if (criteria.until) {
      conditions.push('"timestamp" < ?');
      parameters.push(criteria.until.value);
    }
    parameters.push(limit);
    return this.dataSource.query(
      `SELECT ${columns} FROM "ingested_data" WHERE ${conditions.join(' AND ')} ORDER BY "seq" LIMIT ?`,
      parameters,
    );
  }
}

function toSummary(row: SummaryRow): StoredDataSummary {
  return { id: row.id, partnerId: row.partner_id, timestamp: row.timestamp, payloadJson: row.payload };
}
