import { createHmac } from 'node:crypto';
import { ApiKey } from './api-key.entity';
import { StreamToken } from './stream-token.value-object';

const NOW = new Date('2026-12-02T10:00:00.000Z');
const IN_A_MINUTE = new Date(NOW.getTime() + 60_000);

const issueKey = () => ApiKey.issue({ admin: false, partnerId: 'acme' }, null, NOW).key;

describe('StreamToken', () => {
  it('carries the key id and expiry in a URL-safe text that parses back', () => {
    const key = issueKey();
    const token = StreamToken.issue(key, IN_A_MINUTE);

    expect(token.value).toMatch(/^st_[0-9a-f-]{36}\.\d+\.[A-Za-z0-9_-]{43}$/);
    const parsed = StreamToken.parse(token.value);
    expect(parsed?.keyId).toBe(key.id);
    expect(parsed?.expiresAt).toEqual(IN_A_MINUTE);
    expect(parsed?.isSignedBy(key)).toBe(true);
  });

  it("is signed by its key's stored hash: another key, or a changed expiry, does not verify", () => {
    const key = issueKey();
    const token = StreamToken.issue(key, IN_A_MINUTE).value;
    const later = token.replace(`.${IN_A_MINUTE.getTime()}.`, `.${IN_A_MINUTE.getTime() + 3_600_000}.`);

    expect(StreamToken.parse(token)?.isSignedBy(issueKey())).toBe(false);
    expect(StreamToken.parse(later)?.isSignedBy(key)).toBe(false);
  });

  it('is an HMAC-SHA256 keyed with the stored hash, so that every instance, of any version, checks it alike', () => {
    const key = ApiKey.restore({
      id: '019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69',
      scope: { admin: false, partnerId: 'acme' },
      name: null,
      secretHash: '00'.repeat(31) + '01',
      createdAt: NOW.toISOString(),
      revokedAt: null,
      lastUsedAt: null,
    });
    const signature = createHmac('sha256', Buffer.from(key.secretHash, 'hex'))
      .update(`stream-token\n${key.id}\n${IN_A_MINUTE.getTime()}`)
      .digest('base64url');

    expect(StreamToken.issue(key, IN_A_MINUTE).value).toBe(`st_${key.id}.${IN_A_MINUTE.getTime()}.${signature}`);
  });

  it('expires at its expiry', () => {
    const token = StreamToken.issue(issueKey(), IN_A_MINUTE);

    expect(token.hasExpired(new Date(IN_A_MINUTE.getTime() - 1))).toBe(false);
    expect(token.hasExpired(IN_A_MINUTE)).toBe(true);
  });

  it('parses neither an API key nor a mangled token', () => {
    const token = StreamToken.issue(issueKey(), IN_A_MINUTE).value;

    expect(StreamToken.parse(`ik_${'a'.repeat(43)}`)).toBeNull();
    expect(StreamToken.parse(token.slice(0, -1))).toBeNull();
    expect(StreamToken.parse(`${token}x`)).toBeNull();
    expect(StreamToken.parse(`x${token}`)).toBeNull();
    expect(StreamToken.looksLikeOne(`ik_${'a'.repeat(43)}`)).toBe(false);
    expect(StreamToken.looksLikeOne(token.slice(0, -1))).toBe(true);
  });
});
