import { DataId } from '../../src/ingestion/domain/data-id.value-object';
import { DataListCriteria } from '../../src/ingestion/domain/data-list.criteria';
import { DataRepository, StoredDataSummary } from '../../src/ingestion/domain/data.repository';
import { ClaimOutcome, IdempotencyClaim } from '../../src/ingestion/domain/idempotency.claim';
import { IngestedData } from '../../src/ingestion/domain/ingested-data.aggregate';
import { UnknownCursorError } from '../../src/ingestion/domain/ingestion.errors';
import { PartnerId } from '../../src/ingestion/domain/partner-id.value-object';
import { Payload } from '../../src/ingestion/domain/payload.value-object';
import { Timestamp } from '../../src/ingestion/domain/timestamp.value-object';

/** One stored record, as the SQL adapter keeps it: an insertion sequence and the payload as JSON text. */
interface StoredRow {
  seq: number;
  id: string;
  partnerId: string;
  timestamp: string;
  payloadJson: string;
}

export interface InMemoryDataRepositoryOptions {
  /** Rows per chunk of `streamChunks` (the SQL adapter reads 1000 at a time). */
  chunkSize?: number;
}

/**
 * The `DataRepository` port in memory, with the SQL adapter's semantics: ingestion order is
 * insertion order, `after` is a keyset cursor that must name a stored record, `since` is
 * inclusive and `until` exclusive, and a stream lists what was stored when it started.
 */
export class InMemoryDataRepository extends DataRepository {
  static readonly DEFAULT_CHUNK_SIZE = 1000;

  private readonly rows: StoredRow[] = [];
  private readonly claims = new Map<string, IdempotencyClaim>();
  private lastSeq = 0;
  private readonly chunkSize: number;

  constructor(options: InMemoryDataRepositoryOptions = {}) {
    super();
    this.chunkSize = options.chunkSize ?? InMemoryDataRepository.DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(this.chunkSize) || this.chunkSize < 1) {
      throw new RangeError(`chunkSize must be a positive integer, got ${this.chunkSize}`);
    }
  }

  async save(data: IngestedData): Promise<void> {
    if (this.has(data.id.value)) throw duplicateKey(data.id.value);
    this.insert(data);
  }

  async findById(id: DataId): Promise<IngestedData | null> {
    const row = this.rows.find((candidate) => candidate.id === id.value);
    if (!row) return null;
    return IngestedData.reconstitute({
      id: DataId.create(row.id),
      partnerId: PartnerId.create(row.partnerId),
      timestamp: Timestamp.parse(row.timestamp),
      payload: Payload.fromJson(row.payloadJson),
    });
  }

  async findPage(criteria: DataListCriteria, limit: number): Promise<StoredDataSummary[]> {
    if (!Number.isInteger(limit) || limit < 0) {
      throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
    }
    const afterSeq = this.seqAfter(criteria);
    return this.select(criteria, afterSeq, this.lastSeq, limit).map((row) => toSummary(row, criteria));
  }

  async streamChunks(criteria: DataListCriteria): Promise<AsyncIterable<StoredDataSummary[]>> {
    return this.chunksBetween(criteria, this.seqAfter(criteria), this.lastSeq);
  }

  private async *chunksBetween(
    criteria: DataListCriteria,
    afterSeq: number,
    lastSeq: number,
  ): AsyncIterable<StoredDataSummary[]> {
    for (;;) {
      const rows = this.select(criteria, afterSeq, lastSeq, this.chunkSize);
      if (rows.length > 0) yield rows.map((row) => toSummary(row, criteria));
      if (rows.length < this.chunkSize) return;
      afterSeq = rows[rows.length - 1].seq;
    }
  }

  /**
   * All or nothing, with the claim when there is one: the SQL adapter's semantics, in memory.
   * Synchronous from the claim check to the last row, as the adapter's transaction is: two
   * concurrent calls with one key cannot both get past the check, and a duplicate id (stored
   * or repeated in `records`) is found before anything is written.
   */
  async saveAll(records: IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    if (claim) {
      const stored = this.claims.get(claimId(claim));
      if (stored && stored.expiresAt.value > claim.createdAt.value) {
        return stored.fingerprint === claim.fingerprint
          ? { kind: 'replay', response: stored.response }
          : { kind: 'mismatch' };
      }
    }
    const ids = new Set<string>();
    for (const record of records) {
      if (this.has(record.id.value) || ids.has(record.id.value)) throw duplicateKey(record.id.value);
      ids.add(record.id.value);
    }
    for (const record of records) this.insert(record);
    if (claim) this.claims.set(claimId(claim), claim);
    return { kind: 'saved' };
  }

  async purgeExpiredClaims(now: Timestamp, limit: number): Promise<number> {
    const expired = [...this.claims].filter(([, claim]) => claim.expiresAt.value <= now.value).slice(0, limit);
    for (const [id] of expired) this.claims.delete(id);
    return expired.length;
  }

  /** Stored idempotency claims (a synchronous look for assertions). */
  get claimCount(): number {
    return this.claims.size;
  }

  /** The claim stored under this scope and key, live or expired (a synchronous look for assertions). */
  claimFor(scope: string, key: string): IdempotencyClaim | undefined {
    return this.claims.get(`${scope}\n${key}`);
  }

  /** Number of stored records (a synchronous look for assertions). */
  get size(): number {
    return this.rows.length;
  }

  /** Whether a record with this id is stored (a synchronous look for assertions). */
  has(id: string): boolean {
    return this.rows.some((row) => row.id === id);
  }

  private insert(data: IngestedData): void {
    this.lastSeq += 1;
    this.rows.push({
      seq: this.lastSeq,
      id: data.id.value,
      partnerId: data.partnerId.value,
      timestamp: data.timestamp.value,
      payloadJson: data.payload.json,
    });
  }

  private seqAfter(criteria: DataListCriteria): number {
    if (!criteria.after) return 0;
    const afterId = criteria.after.value;
    const cursor = this.rows.find((row) => row.id === afterId);
    if (!cursor) throw new UnknownCursorError(afterId);
    return cursor.seq;
  }

  private select(criteria: DataListCriteria, afterSeq: number, lastSeq: number, limit: number): StoredRow[] {
    const selected: StoredRow[] = [];
    for (const row of this.rows) {
      if (selected.length >= limit) break;
      if (row.seq <= afterSeq || row.seq > lastSeq) continue;
      if (criteria.partnerId && row.partnerId !== criteria.partnerId.value) continue;
      // Normalised RFC 3339 UTC strings compare in time order, as the SQL adapter compares them.
      if (criteria.since && row.timestamp < criteria.since.value) continue;
      if (criteria.until && row.timestamp >= criteria.until.value) continue;
      selected.push(row);
    }
    return selected;
  }
}

function toSummary(row: StoredRow, criteria: DataListCriteria): StoredDataSummary {
  const summary: StoredDataSummary = { id: row.id, partnerId: row.partnerId, timestamp: row.timestamp };
  if (criteria.includePayload) summary.payloadJson = row.payloadJson;
  return summary;
}

function duplicateKey(id: string): Error {
  return new Error(`duplicate key: a record with id '${id}' already exists`);
}

function claimId(claim: IdempotencyClaim): string {
  return `${claim.scope}\n${claim.key.value}`;
}
