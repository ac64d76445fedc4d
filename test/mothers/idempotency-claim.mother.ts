import { createHash } from 'node:crypto';
import { IdempotencyKey } from '../../src/ingestion/domain/idempotency-key.value-object';
import { IdempotencyClaim } from '../../src/ingestion/domain/idempotency.claim';
import { Timestamp } from '../../src/ingestion/domain/timestamp.value-object';

export interface IdempotencyClaimOverrides {
  /** The partners the request names; the scope is derived from them as `IdempotencyPolicy.claim` derives it. */
  partnerIds?: string[];
  key?: string;
  fingerprint?: string;
  body?: string;
  createdAt?: string;
  expiresAt?: string;
}

const HOUR_MS = 3_600_000;

export class IdempotencyClaimMother {
  static readonly KEY = 'retry-7f3a';

  /** sha256 (hex) of the sorted, distinct partner ids joined by a newline. */
  static scopeOf(partnerIds: string[]): string {
    return createHash('sha256')
      .update([...new Set(partnerIds)].sort().join('\n'))
      .digest('hex');
  }

  static create(overrides: IdempotencyClaimOverrides = {}): IdempotencyClaim {
    return {
      scope: IdempotencyClaimMother.scopeOf(overrides.partnerIds ?? ['acme']),
      key: IdempotencyKey.create(overrides.key ?? IdempotencyClaimMother.KEY),
      fingerprint: overrides.fingerprint ?? 'f'.repeat(64),
      response: { status: 201, body: overrides.body ?? '{"stored":true}' },
      createdAt: Timestamp.parse(overrides.createdAt ?? '2026-11-29T10:00:00.000Z'),
      expiresAt: Timestamp.parse(overrides.expiresAt ?? '2026-11-30T10:00:00.000Z'),
    };
  }

  /** A claim that expired an hour ago (created a day and an hour ago). */
  static expired(overrides: IdempotencyClaimOverrides = {}): IdempotencyClaim {
    const now = Date.now();
    return IdempotencyClaimMother.create({
      createdAt: new Date(now - 25 * HOUR_MS).toISOString(),
      expiresAt: new Date(now - HOUR_MS).toISOString(),
      ...overrides,
    });
  }

  /** A claim made a minute ago that lives for another day. */
  static live(overrides: IdempotencyClaimOverrides = {}): IdempotencyClaim {
    const now = Date.now();
    return IdempotencyClaimMother.create({
      createdAt: new Date(now - 60_000).toISOString(),
      expiresAt: new Date(now + 24 * HOUR_MS).toISOString(),
      ...overrides,
    });
  }
}
