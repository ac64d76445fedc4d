import { Timestamp } from './timestamp.value-object';

/** How long a request's idempotency key is remembered. */
export class IdempotencyPolicy {
  private readonly ttlMs: number;

  constructor(ttlHours: number) {
    this.ttlMs = Math.round(ttlHours * 3_600_000);
  }

  expiresAt(createdAt: Timestamp): Timestamp {
    return Timestamp.fromDate(new Date(Date.parse(createdAt.value) + this.ttlMs));
  }
}
