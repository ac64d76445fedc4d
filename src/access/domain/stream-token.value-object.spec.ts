import { createHash } from 'node:crypto';
import { StreamToken } from './stream-token.value-object';

describe('StreamToken', () => {
  it('is 256 random bits in a URL-safe text that parses back', () => {
    const token = StreamToken.generate();

    expect(token.value).toMatch(/^st_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.value.slice(3), 'base64url')).toHaveLength(32);
    expect(StreamToken.parse(token.value)?.value).toBe(token.value);
    expect(new Set(Array.from({ length: 100 }, () => StreamToken.generate().value)).size).toBe(100);
  });

  it('is known by its SHA-256 in hex, which is all that is stored of it', () => {
    const token = StreamToken.generate();
    const expiresAt = new Date('2026-12-02T10:01:00.000Z');

    expect(token.digest()).toBe(createHash('sha256').update(token.value).digest('hex'));
    expect(token.grant('019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69', expiresAt)).toEqual({
      digest: token.digest(),
      keyId: '019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69',
      expiresAt,
    });
  });

  it('parses neither an API key nor a mangled token', () => {
    const token = StreamToken.generate().value;

    expect(StreamToken.parse(`ik_${'a'.repeat(43)}`)).toBeNull();
    expect(StreamToken.parse(token.slice(0, -1))).toBeNull();
    expect(StreamToken.parse(`${token}x`)).toBeNull();
    expect(StreamToken.parse(`x${token}`)).toBeNull();
    expect(StreamToken.parse(`${token.slice(0, -1)}.`)).toBeNull();
    expect(StreamToken.looksLikeOne(`ik_${'a'.repeat(43)}`)).toBe(false);
    expect(StreamToken.looksLikeOne(token.slice(0, -1))).toBe(true);
  });
});
