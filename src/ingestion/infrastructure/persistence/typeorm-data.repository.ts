import { DataSource, QueryRunner } from 'typeorm';
import { DataId } from '../../domain/data-id.value-object';
import { DataListCriteria } from '../../domain/data-list.criteria';
import { DataRepository, StoredDataSummary } from '../../domain/data.repository';
import { ClaimOutcome, IdempotencyClaim } from '../../domain/idempotency.claim';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { StorageFullError, StorageUnavailableError, UnknownCursorError } from '../../domain/ingestion.errors';
import { Timestamp } from '../../domain/timestamp.value-object';
import { isDatabaseUnavailable, storageFault, unavailableReason } from './database-errors';
import { DatabaseWritesMonitor } from './database-writes.monitor';
import { ExportSlots } from './export-slots';
import { IngestedDataMapper, IngestedDataRow } from './ingested-data.mapper';
import { ChunkReader, ChunkSizes, StreamedChunks } from './streamed-chunks';

/** A place in the event log, which is the list order: SQLite's `seq`, PostgreSQL's `position` (a bigint, as text). */
export type ListPosition = number | string;

/** Streamed lists: how many one instance serves at once, and how long one may wait for its client. */
export interface StreamedListLimits {
  maxOpen: number;
  stallTimeoutMs: number;
}

export interface SummaryRow {
  id: string;
  partner_id: string;
  timestamp: string;
  payload?: string;
  position?: ListPosition;
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

/** What both databases share, as plain SQL written with `?` placeholders, which `dialect` numbers where it must. */
export abstract class TypeOrmDataRepository extends DataRepository {
  static readonly CHUNK_SIZE = 1000;
  static readonly CHUNK_BYTES = 1024 * 1024;

  /** A list with payloads starts with one row, then takes as many as fit in CHUNK_BYTES. */
  static chunkSizes(criteria: DataListCriteria): ChunkSizes {
    const maxRows = TypeOrmDataRepository.CHUNK_SIZE;
    return { maxRows, maxBytes: TypeOrmDataRepository.CHUNK_BYTES, firstRows: criteria.includePayload ? 1 : maxRows };
  }

  protected abstract readonly positionColumn: '"seq"' | '"position"';

  private readonly exportSlots: ExportSlots;

  constructor(
    protected readonly dataSource: DataSource,
    protected readonly streamedLists: StreamedListLimits,
    private readonly writesMonitor: DatabaseWritesMonitor,
  ) {
    super();
    this.exportSlots = new ExportSlots(streamedLists.maxOpen);
  }

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

  async streamChunks(criteria: DataListCriteria): Promise<AsyncIterable<StoredDataSummary[]>> {
    const releaseSlot = this.exportSlots.take();
    try {
      const reader = await this.guarded(() => this.openChunkReader(criteria));
      return new StreamedChunks(reader, TypeOrmDataRepository.chunkSizes(criteria), releaseSlot);
    } catch (error) {
      releaseSlot();
      throw error;
    }
  }

  /** Checks the cursor and fixes the snapshot now, so that any failure comes before the response starts. */
  protected abstract openChunkReader(criteria: DataListCriteria): Promise<ChunkReader>;

  protected async positionAfter(
    criteria: DataListCriteria,
    executor: Pick<DataSource | QueryRunner, 'query'> = this.dataSource,
  ): Promise<ListPosition | undefined> {
    if (!criteria.after) return undefined;
    const rows = (await executor.query(
      this.dialect(`SELECT ${this.positionColumn} AS "position" FROM "ingested_data" WHERE "id" = ?`),
      [criteria.after.value],
    )) as Array<{ position: ListPosition }>;
    if (rows.length === 0) throw new UnknownCursorError(criteria.after.value);
    return rows[0].position;
  }

  protected listQuery(
    criteria: DataListCriteria,
    bounds: { after?: ListPosition; upTo?: ListPosition; limit?: number },
  ): [string, unknown[]] {
    const columns = ['"id"', '"partner_id"', '"timestamp"'];
    if (criteria.includePayload) columns.push('"payload"');
    columns.unshift(`${this.positionColumn} AS "position"`);
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

  protected async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }

  /** A storage fault is also recorded, so that readiness answers 503 until writes work again. */
  protected async guardedWrite<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.writesMonitor.recordFailure(error);
      throw translateDatabaseError(error);
    }
  }
}

export function translateDatabaseError(error: unknown): unknown {
  const fault = storageFault(error);
  if (fault === 'full') return new StorageFullError(unavailableReason(error));
  if (fault !== undefined || isDatabaseUnavailable(error)) return new StorageUnavailableError(unavailableReason(error));
  return error;
}

export function toSummary(row: SummaryRow): StoredDataSummary {
  return { id: row.id, partnerId: row.partner_id, timestamp: row.timestamp, payloadJson: row.payload };
}
