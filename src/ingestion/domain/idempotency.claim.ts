import { IdempotencyKey } from './idempotency-key.value-object';
import { Timestamp } from './timestamp.value-object';

/** What a request stores with its key, to be answered again on a retry. */
export interface StoredResponse {
  status: number;
  /** The response body as JSON text. */
  body: string;
}

/**
 * A request's claim on an idempotency key, saved in the same transaction as its records.
 * `scope` identifies the set of partners the request names; `fingerprint` the request itself.
 */
export interface IdempotencyClaim {
  scope: string;
  key: IdempotencyKey;
  fingerprint: string;
  response: StoredResponse;
  createdAt: Timestamp;
  expiresAt: Timestamp;
}

/**
 * `saved`: the records and the claim are committed. `replay`: a live claim with the same
 * fingerprint exists, nothing was saved. `mismatch`: a live claim for another request exists.
 */
export type ClaimOutcome = { kind: 'saved' } | { kind: 'replay'; response: StoredResponse } | { kind: 'mismatch' };
