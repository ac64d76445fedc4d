import { IdempotencyKey } from './idempotency-key.value-object';
import { Timestamp } from './timestamp.value-object';

export interface StoredResponse {
  status: number;
  /** The response body as JSON text. */
  body: string;
}

/** Saved in the same transaction as its records; `scope` stands for the set of partners the request names. */
export interface IdempotencyClaim {
  scope: string;
  key: IdempotencyKey;
  fingerprint: string;
  response: StoredResponse;
  createdAt: Timestamp;
  expiresAt: Timestamp;
}

/** `replay` and `mismatch`: a live claim with the same or another fingerprint exists, and nothing was saved. */
export type ClaimOutcome = { kind: 'saved' } | { kind: 'replay'; response: StoredResponse } | { kind: 'mismatch' };
