import { hash, randomBytes } from 'node:crypto';

const PREFIX = 'st_';
const TOKEN = /^st_[A-Za-z0-9_-]{43}$/;

export interface StreamTokenGrant {
  digest: string;
  keyId: string;
  expiresAt: Date;
}

/** Random and stored only as its SHA-256, so that no copy of the database can be turned into a token. */
export class StreamToken {
  private constructor(readonly value: string) {}

  static generate(): StreamToken {
    return new StreamToken(`${PREFIX}${randomBytes(32).toString('base64url')}`);
  }

  static parse(text: string): StreamToken | null {
    return TOKEN.test(text) ? new StreamToken(text) : null;
  }

  static looksLikeOne(text: string): boolean {
    return text.startsWith(PREFIX);
  }

  digest(): string {
    return hash('sha256', this.value);
  }

  grant(keyId: string, expiresAt: Date): StreamTokenGrant {
    return { digest: this.digest(), keyId, expiresAt };
  }
}
