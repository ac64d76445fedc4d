import { DataSource } from 'typeorm';
import { DataId } from '../../domain/data-id.value-object';
import { DataListCriteria } from '../../domain/data-list.criteria';
import { DataRepository, StoredDataSummary } from '../../domain/data.repository';
import { ClaimOutcome, IdempotencyClaim } from '../../domain/idempotency.claim';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { StorageUnavailableError, UnknownCursorError } from '../../domain/ingestion.errors';
import { Timestamp } from '../../domain/timestamp.value-object';
import { isDatabaseUnavailable, unavailableReason } from './database-errors';
import { IngestedDataMapper, IngestedDataRow } from './ingested-data.mapper';

/** A place in the list order: SQLite's `seq`, PostgreSQL's `id`. */
export type ListPosition = number | string;

export interface SummaryRow {
  id: string;
  partner_id: string;
  timestamp: string;
  payload?: string;
  seq?: number;
}

/** Inserts or takes over an expired claim; a live claim on (scope, key) is left as it is. Same SQL on both databases. */
export const CLAIM_KEY_SQL = `INSERT INTO "idempotency_keys" ("scope", "key", "fingerprint", "status", "response", "created_at", "expires_at")
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT ("scope", "key") DO UPDATE SET
    "fingerprint" = excluded."fingerprint", "status" = excluded."status", "response" = excluded."response",
    "created_at" = excluded."created_at", "expires_at" = excluded."expires_at"
  WHERE "idempotency_keys"."expires_at" <= excluded."created_at"`;

export const STORED_CLAIM_SQL =
  'SELECT "fingerprint", "status", "response" FROM "idempotency_keys" WHERE "scope" = ? AND "key" = ?';

export interface StoredClaimRow {
  fingerprint: string;
  status: number;
  response: string;
}

export function claimParameters(claim: IdempotencyClaim): unknown[] {
  return [
    claim.scope,
    claim.key.value,
    claim.fingerprint,
    claim.response.status,
    claim.response.body,
    claim.createdAt.value,
    claim.expiresAt.value,
  ];
}

export function outcomeAgainst(stored: StoredClaimRow, claim: IdempotencyClaim): ClaimOutcome {
  return stored.fingerprint === claim.fingerprint
    ? { kind: 'replay', response: { status: stored.status, body: stored.response } }
    : { kind: 'mismatch' };
}

/**
 * The TypeORM adapter of the `DataRepository` port, on either database. This class holds
 * what both share: plain parameterised SQL run through the DataSource (written with `?`;
 * each dialect numbers them if it must), the idempotency-claim SQL, reads by id, pages and
 * the list filters. Subclasses hold the differences:
 * - `SqliteDataRepository`: one INSERT per record, synchronous transactions on the one
 *   connection, lists walked by SQLite's `seq` (rowid) keyset up to a snapshot bound;
 * - `PostgresDataRepository`: an instance's writes committed in id order (single records
 *   grouped into one INSERT), pooled transactions, reads by id as a prepared statement on
 *   the pool, lists ordered by `id` and streamed from a server-side cursor.
 * Every method turns "database not reachable / timed out" into `StorageUnavailableError`.
 */
export abstract class TypeOrmDataRepository extends DataRepository {
  static readonly CHUNK_SIZE = 1000;

  /** The list order and cursor column, quoted. */
  protected abstract readonly positionColumn: '"seq"' | '"id"';

  constructor(protected readonly dataSource: DataSource) {
    super();
  }

  /** The SQL as the driver wants it (`?` placeholders kept, or numbered). */
  protected abstract dialect(sql: string): string;

  abstract save(data: IngestedData): Promise<void>;

  abstract saveAll(records: IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome>;

  abstract purgeExpiredClaims(now: Timestamp, limit: number): Promise<number>;

  findById(id: DataId): Promise<IngestedData | null> {
    return this.guarded(async () => {
      const rows = await this.query<IngestedDataRow>(
        'SELECT "id", "partner_id", "timestamp", "payload" FROM "ingested_data" WHERE "id" = ?',
        [id.value],
      );
      return rows.length === 0 ? null : IngestedDataMapper.toDomain(rows[0]);
    });
  }

  findPage(criteria: DataListCriteria, limit: number): Promise<StoredDataSummary[]> {
    return this.guarded(async () => {
      const after = await this.positionAfter(criteria);
      const [sql, parameters] = this.listQuery(criteria, { after, limit });
      const rows = await this.query<SummaryRow>(sql, parameters);
      return rows.map(toSummary);
    });
  }

  abstract streamChunks(criteria: DataListCriteria): Promise<AsyncIterable<StoredDataSummary[]>>;

  /** Where the list starts: after the `after` record (UnknownCursorError when there is none), or at the beginning. */
  protected async positionAfter(criteria: DataListCriteria): Promise<ListPosition | undefined> {
    if (!criteria.after) return undefined;
    const rows = await this.query<{ position: ListPosition }>(
      `SELECT ${this.positionColumn} AS "position" FROM "ingested_data" WHERE "id" = ?`,
      [criteria.after.value],
    );
    if (rows.length === 0) throw new UnknownCursorError(criteria.after.value);
    return rows[0].position;
  }

  /** The SELECT of a list (with `?` placeholders), in list order, within the given bounds. */
  protected listQuery(
    criteria: DataListCriteria,
    bounds: { after?: ListPosition; upTo?: ListPosition; limit?: number },
  ): [string, unknown[]] {
    const columns = ['"id"', '"partner_id"', '"timestamp"'];
    if (criteria.includePayload) columns.push('"payload"');
    if (this.positionColumn !== '"id"') columns.unshift(this.positionColumn);
    const conditions: string[] = [];
    const parameters: unknown[] = [];
    const where = (condition: string, value: unknown) => {
      conditions.push(condition);
      parameters.push(value);
    };
    if (bounds.after !== undefined) where(`${this.positionColumn} > ?`, bounds.after);
    if (bounds.upTo !== undefined) where(`${this.positionColumn} <= ?`, bounds.upTo);
    if (criteria.partnerId) where('"partner_id" = ?', criteria.partnerId.value);
    if (criteria.since) where('"timestamp" >= ?', criteria.since.value);
    if (criteria.until) where('"timestamp" < ?', criteria.until.value);
    let sql = `SELECT ${columns.join(', ')} FROM "ingested_data"`;
    if (conditions.length > 0) sql += ` WHERE ${conditions.join(' AND ')}`;
    sql += ` ORDER BY ${this.positionColumn}`;
    if (bounds.limit !== undefined) {
      sql += ' LIMIT ?';
      parameters.push(bounds.limit);
    }
    return [sql, parameters];
  }

  protected query<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    return this.dataSource.query<T[]>(this.dialect(sql), parameters);
  }

  /** Runs database work; "not reachable / timed out" becomes StorageUnavailableError, other errors pass. */
  protected async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }
}

export function translateDatabaseError(error: unknown): unknown {
  return isDatabaseUnavailable(error) ? new StorageUnavailableError(unavailableReason(error)) : error;
}

export function toSummary(row: SummaryRow): StoredDataSummary {
  return { id: row.id, partnerId: row.partner_id, timestamp: row.timestamp, payloadJson: row.payload };
}
