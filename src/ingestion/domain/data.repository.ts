import { DataId } from './data-id.value-object';
import { DataListCriteria } from './data-list.criteria';
import { ClaimOutcome, IdempotencyClaim } from './idempotency.claim';
import { IngestedData } from './ingested-data.aggregate';
import { Timestamp } from './timestamp.value-object';

/** One row of a list, in storage terms; `payloadJson` only when the criteria ask for it. */
export interface StoredDataSummary {
  id: string;
  partnerId: string;
  timestamp: string;
  payloadJson?: string;
}

/**
 * Port to the records' storage. `save` resolves only once the record is durably committed.
 * Lists come back in ingestion order (oldest first).
 */
export abstract class DataRepository {
  abstract save(data: IngestedData): Promise<void>;

  /**
   * Saves the records (one or many) in one transaction, together with the idempotency
   * claim when there is one: either both are committed or neither. With a claim, a live
   * claim already stored under the same scope and key wins, and nothing is saved (see
   * `ClaimOutcome`); an expired one is replaced. Concurrent claims on one key resolve to
   * exactly one `saved`, across processes too (a unique constraint on scope and key).
   */
  abstract saveAll(records: IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome>;

  /** Deletes up to `limit` claims that expired before `now`; resolves to how many. */
  abstract purgeExpiredClaims(now: Timestamp, limit: number): Promise<number>;

  abstract findById(id: DataId): Promise<IngestedData | null>;

  /**
   * At most `limit` records matching the criteria. Throws `UnknownCursorError` when
   * `criteria.after` names no record (this and `streamChunks`).
   */
  abstract findPage(criteria: DataListCriteria, limit: number): Promise<StoredDataSummary[]>;

  /**
   * Every record matching the criteria, read from the database in chunks so that memory
   * stays flat however many rows match. Each yielded array is one chunk. Resolves once the
   * cursor is checked and the snapshot fixed: records committed later are not included.
   * Throws `ExportLimitReachedError` when as many streamed lists as allowed are open. An open
   * list holds database resources until its last chunk is read or the consumer calls the
   * iterator's `return()`, also when it never started iterating.
   */
  abstract streamChunks(criteria: DataListCriteria): Promise<AsyncIterable<StoredDataSummary[]>>;
}
