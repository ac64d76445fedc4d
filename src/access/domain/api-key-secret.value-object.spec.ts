import { createHash } from 'node:crypto';
import { ApiKeySecret } from './api-key-secret.value-object';

describe('ApiKeySecret', () => {
  it('is ik_ and 256 random bits in base64url, different every time', () => {
    const secrets = Array.from({ length: 100 }, () => ApiKeySecret.generate().value);
    for (const secret of secrets) expect(secret).toMatch(/^ik_[A-Za-z0-9_-]{43}$/);
    expect(new Set(secrets).size).toBe(100);
  });

  it('hashes to the SHA-256 of its text, in hex', () => {
    const secret = ApiKeySecret.generate();
    expect(secret.hash()).toBe(createHash('sha256').update(secret.value).digest('hex'));
    expect(secret.matches(secret.hash())).toBe(true);
    expect(secret.matches(ApiKeySecret.generate().hash())).toBe(false);
    expect(secret.matches('')).toBe(false);
    expect(secret.matches('abcd')).toBe(false);
  });

  it('parses only text that can be one of its secrets', () => {
    const secret = ApiKeySecret.generate().value;
    expect(ApiKeySecret.parse(secret)?.value).toBe(secret);
    for (const text of [
      '',
      'ik_',
      secret.slice(0, -1),
      `${secret}A`,
      `sk_${secret.slice(3)}`,
      `${secret.slice(0, -1)}=`,
      ` ${secret}`,
    ]) {
      expect(ApiKeySecret.parse(text)).toBeNull();
    }
  });
});
