import { DataId } from './data-id.value-object';
import { DataListCriteria } from './data-list.criteria';
import { ClaimOutcome, IdempotencyClaim } from './idempotency.claim';
import { IngestedData } from './ingested-data.aggregate';
import { Timestamp } from './timestamp.value-object';

export interface StoredDataSummary {
  id: string;
  partnerId: string;
  timestamp: string;
  payloadJson?: string;
}

/** Port to the records' storage: `save` resolves once the record is durably committed; lists follow the event log. */
export abstract class DataRepository {
  abstract save(data: IngestedData): Promise<void>;

  /** Records and claim in one transaction; a live claim on the same key wins, across processes too (`ClaimOutcome`). */
  abstract saveAll(records: IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome>;

  abstract purgeExpiredClaims(now: Timestamp, limit: number): Promise<number>;

  abstract findById(id: DataId): Promise<IngestedData | null>;

  /** Throws `UnknownCursorError` when `criteria.after` names no record (as does `streamChunks`). */
  abstract findPage(criteria: DataListCriteria, limit: number): Promise<StoredDataSummary[]>;

  /** Resolves once the cursor is checked and the snapshot fixed; holds database resources until the last chunk or `return()`. */
  abstract streamChunks(criteria: DataListCriteria): Promise<AsyncIterable<StoredDataSummary[]>>;
}
