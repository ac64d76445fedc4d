import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ApiKey } from './api-key.entity';

const PREFIX = 'st_';
const TOKEN = /^st_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/;

/**
 * A short-lived stand-in for an API key where only a URL can carry a credential (a browser's
 * EventSource). Signed with the key's stored hash, so any instance can check it and revoking the
 * key revokes its tokens; the key itself never appears in a URL.
 */
export class StreamToken {
  private constructor(
    readonly keyId: string,
    readonly expiresAt: Date,
    private readonly signature: string,
  ) {}

  static issue(key: ApiKey, expiresAt: Date): StreamToken {
    return new StreamToken(key.id, expiresAt, sign(key.secretHash, key.id, expiresAt.getTime()));
  }

  static parse(text: string): StreamToken | null {
    const match = TOKEN.exec(text);
    return match === null ? null : new StreamToken(match[1], new Date(Number(match[2])), match[3]);
  }

  static looksLikeOne(text: string): boolean {
    return text.startsWith(PREFIX);
  }

  get value(): string {
    return `${PREFIX}${this.keyId}.${this.expiresAt.getTime()}.${this.signature}`;
  }

  isSignedBy(key: ApiKey): boolean {
    const expected = Buffer.from(sign(key.secretHash, this.keyId, this.expiresAt.getTime()));
    const actual = Buffer.from(this.signature);
    return key.id === this.keyId && expected.length === actual.length && timingSafeEqual(expected, actual);
  }

  hasExpired(now: Date): boolean {
    return now.getTime() >= this.expiresAt.getTime();
  }
}

function sign(secretHash: string, keyId: string, expiresAtMs: number): string {
  return createHmac('sha256', Buffer.from(secretHash, 'hex'))
    .update(`stream-token\n${keyId}\n${expiresAtMs}`)
    .digest('base64url');
}
