import { IdempotencyKey } from './idempotency-key.value-object';
import { IngestionError, InvalidIdempotencyKeyError } from './ingestion.errors';

const EVERY_PRINTABLE_ASCII = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i)).join('');

describe('IdempotencyKey', () => {
  it.each([
    ['one character', 'k'],
    ['a UUID', '0f8fad5b-d9cb-469f-a165-70867728950e'],
    ['255 characters', 'k'.repeat(255)],
    ['every printable ASCII character', EVERY_PRINTABLE_ASCII],
    ['a space (0x20, the lowest printable)', ' '],
    ['a tilde (0x7E, the highest printable)', '~'],
    ['inner and outer spaces', ' retry 2 '],
  ])('accepts %s, keeping it exactly as sent', (_case, value) => {
    expect(IdempotencyKey.create(value).value).toBe(value);
  });

  it('allows 255 characters and no more', () => {
    expect(() => IdempotencyKey.create('k'.repeat(255))).not.toThrow();
    expect(() => IdempotencyKey.create('k'.repeat(256))).toThrow(InvalidIdempotencyKeyError);
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a trailing newline', 'key\n'],
    ['an inner newline', 'ke\ny'],
    ['a carriage return', 'key\r'],
    ['a tab', 'k\tey'],
    ['a NUL', 'key\0'],
    ['a control character below 0x20', 'key\x1f'],
    ['DEL (0x7F)', 'key\x7f'],
    ['a Latin-1 letter', 'clé'],
    ['a non-Latin letter', 'キー'],
    ['an emoji', 'key😀'],
  ])('rejects %s', (_case, value) => {
    expect(() => IdempotencyKey.create(value)).toThrow(InvalidIdempotencyKeyError);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an array of strings', ['key']],
  ])('rejects %s: a key is a string', (_case, value) => {
    expect(() => IdempotencyKey.create(value)).toThrow(InvalidIdempotencyKeyError);
  });

  it('throws a domain error that names the header as the field at fault', () => {
    let thrown: unknown;
    try {
      IdempotencyKey.create('');
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(IngestionError);
    expect(thrown).toMatchObject({
      name: 'InvalidIdempotencyKeyError',
      code: 'invalid-idempotency-key',
      field: 'Idempotency-Key',
    });
    expect((thrown as Error).message).toBe('Idempotency-Key must be 1-255 printable ASCII characters.');
  });

  it('equals another key with the same value only, case included', () => {
    const key = IdempotencyKey.create('Retry-1');

    expect(key.equals(IdempotencyKey.create('Retry-1'))).toBe(true);
    expect(key.equals(IdempotencyKey.create('retry-1'))).toBe(false);
    expect(key.equals(IdempotencyKey.create('Retry-1 '))).toBe(false);
  });
});

describe('IdempotencyKey.createOptional', () => {
  it('gives no key for a request without one, and validates one that is there', () => {
    expect(IdempotencyKey.createOptional(undefined)).toBeUndefined();
    expect(IdempotencyKey.createOptional('k-1')?.value).toBe('k-1');
    expect(() => IdempotencyKey.createOptional('')).toThrow(InvalidIdempotencyKeyError);
  });
});
