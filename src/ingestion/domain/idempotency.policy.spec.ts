import { IdempotencyPolicy } from './idempotency.policy';
import { Timestamp } from './timestamp.value-object';

const CREATED_AT = Timestamp.parse('2026-11-29T10:31:05.123Z');

describe('IdempotencyPolicy', () => {
  it.each([
    [24, '2026-11-30T10:31:05.123Z'],
    [1, '2026-11-29T11:31:05.123Z'],
    [168, '2026-12-06T10:31:05.123Z'],
    [0.5, '2026-11-29T11:01:05.123Z'],
    [0.25, '2026-11-29T10:46:05.123Z'],
    [1 / 3600, '2026-11-29T10:31:06.123Z'],
    [0.0001, '2026-11-29T10:31:05.483Z'],
  ])('keeps a key %p hours after it was created', (ttlHours, expected) => {
    expect(new IdempotencyPolicy(ttlHours).expiresAt(CREATED_AT).value).toBe(expected);
  });

  it('counts from the creation time it is given, not from now', () => {
    const policy = new IdempotencyPolicy(24);

    expect(policy.expiresAt(Timestamp.parse('2020-02-28T12:00:00.000Z')).value).toBe('2020-02-29T12:00:00.000Z');
    expect(policy.expiresAt(Timestamp.parse('2026-12-31T23:30:00.000Z')).value).toBe('2027-01-01T23:30:00.000Z');
  });

  it('answers a Timestamp and leaves the creation time as it was', () => {
    const createdAt = Timestamp.parse('2026-11-29T10:31:05.123Z');

    const expiresAt = new IdempotencyPolicy(2).expiresAt(createdAt);

    expect(expiresAt).toBeInstanceOf(Timestamp);
    expect(createdAt.value).toBe('2026-11-29T10:31:05.123Z');
    expect(Date.parse(expiresAt.value) - Date.parse(createdAt.value)).toBe(2 * 3_600_000);
  });
});
