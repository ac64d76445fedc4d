import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'ik_';
const SECRET = /^ik_[A-Za-z0-9_-]{43}$/;

/** `ik_` lets secret scanners spot a leaked key; with 256 random bits a slow password hash would add nothing to SHA-256. */
export class ApiKeySecret {
  private constructor(readonly value: string) {}

  static generate(): ApiKeySecret {
    return new ApiKeySecret(PREFIX + randomBytes(32).toString('base64url'));
  }

  static parse(text: string): ApiKeySecret | null {
    return SECRET.test(text) ? new ApiKeySecret(text) : null;
  }

  hash(): string {
    return this.digest().toString('hex');
  }

  digest(): Buffer {
    return hash('sha256', this.value, 'buffer');
  }

  matches(storedHash: string | Buffer, digest: Buffer = this.digest()): boolean {
    const expected = typeof storedHash === 'string' ? Buffer.from(storedHash, 'hex') : storedHash;
    return expected.length === digest.length && timingSafeEqual(expected, digest);
  }
}
