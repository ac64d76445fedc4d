import type { ClaimOutcome } from '../../domain/idempotency.claim';
import { IdempotencyKeyReusedError } from '../../domain/ingestion.errors';

export interface IngestionResult<View> {
  view: View;
  replayed: boolean;
}

/** A live claim on the key: the stored answer again, or a 422 when the key was used for another request. */
export function replayOf<View>(outcome: Exclude<ClaimOutcome, { kind: 'saved' }>): IngestionResult<View> {
  if (outcome.kind === 'mismatch') throw new IdempotencyKeyReusedError();
  return { view: JSON.parse(outcome.response.body) as View, replayed: true };
}
