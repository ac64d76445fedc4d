import { ClaimOutcome, IdempotencyClaim } from './idempotency.claim';
import { IngestedData } from './ingested-data.aggregate';
import { Timestamp } from './timestamp.value-object';

/** Port to the records' storage. Reads go through `RecordReadModel`. */
export abstract class DataRepository {
  /**
   * The records, and the claim when there is one, in one transaction: resolves once they are
   * durably committed. A live claim on the same key wins, across processes too (`ClaimOutcome`).
   */
  abstract save(records: readonly IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome>;

  abstract purgeExpiredClaims(now: Timestamp, limit: number): Promise<number>;
}
