import { InvalidIdempotencyKeyError } from './ingestion.errors';

/** 1–255 printable ASCII characters (Stripe's limit), as sent in the `Idempotency-Key` header. */
export const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

export class IdempotencyKey {
  private constructor(readonly value: string) {}

  static create(value: unknown): IdempotencyKey {
    if (typeof value !== 'string' || !IDEMPOTENCY_KEY.test(value)) {
      throw new InvalidIdempotencyKeyError('Idempotency-Key must be 1-255 printable ASCII characters.');
    }
    return new IdempotencyKey(value);
  }

  /** The key of a request that may carry none. */
  static createOptional(value: string | undefined): IdempotencyKey | undefined {
    return value === undefined ? undefined : IdempotencyKey.create(value);
  }

  equals(other: IdempotencyKey): boolean {
    return this.value === other.value;
  }
}
