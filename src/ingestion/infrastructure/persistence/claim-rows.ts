import { ClaimOutcome, IdempotencyClaim } from '../../domain/idempotency.claim';

export interface StoredClaimRow {
  fingerprint: string;
  status: number;
  response: string;
}

/** In the column order of both adapters' claim INSERT. */
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
