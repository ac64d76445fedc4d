import { DataId } from '../../src/ingestion/domain/data-id.value-object';
import { DataRepository } from '../../src/ingestion/domain/data.repository';
import { ClaimOutcome, IdempotencyClaim } from '../../src/ingestion/domain/idempotency.claim';
import { IngestedData } from '../../src/ingestion/domain/ingested-data.aggregate';
import { PartnerId } from '../../src/ingestion/domain/partner-id.value-object';
import { Payload } from '../../src/ingestion/domain/payload.value-object';
import { Timestamp } from '../../src/ingestion/domain/timestamp.value-object';

/** One stored record, as the SQL adapter keeps it: the payload as JSON text. */
interface StoredRow {
  id: string;
  partnerId: string;
  timestamp: string;
  payloadJson: string;
}

/** The `DataRepository` port in memory, with the SQL adapter's semantics: ids are unique, claims per scope and key. */
export class InMemoryDataRepository extends DataRepository {
  private readonly rows: StoredRow[] = [];
  private readonly claims = new Map<string, IdempotencyClaim>();

  /** The stored record, restored as an aggregate (a look for assertions). */
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

  /**
   * All or nothing, with the claim when there is one: the SQL adapter's semantics, in memory.
   * Synchronous from the claim check to the last row, as the adapter's transaction is: two
   * concurrent calls with one key cannot both get past the check, and a duplicate id (stored
   * or repeated in `records`) is found before anything is written.
   */
  async save(records: readonly IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
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
    this.rows.push({
      id: data.id.value,
      partnerId: data.partnerId.value,
      timestamp: data.timestamp.value,
      payloadJson: data.payload.json,
    });
  }
}

function duplicateKey(id: string): Error {
  return new Error(`duplicate key: a record with id '${id}' already exists`);
}

function claimId(claim: IdempotencyClaim): string {
  return `${claim.scope}\n${claim.key.value}`;
}
