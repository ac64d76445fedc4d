import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'ik_';
const SECRET = /^ik_[A-Za-z0-9_-]{43}$/;

/**
 * The secret a client sends: `ik_` and 256 random bits in base64url. The prefix lets secret
 * scanners recognise a leaked key. Only its SHA-256 is stored: with 256 bits of entropy a
 * slow password hash would add nothing.
 */
export class ApiKeySecret {
  private constructor(readonly value: string) {}

  static generate(): ApiKeySecret {
    return new ApiKeySecret(PREFIX + randomBytes(32).toString('base64url'));
  }

  /** null when the text cannot be one of our secrets: no lookup is needed to refuse it. */
  static parse(text: string): ApiKeySecret | null {
    return SECRET.test(text) ? new ApiKeySecret(text) : null;
  }

  hash(): string {
    return this.digest().toString('hex');
  }

  digest(): Buffer {
    return hash('sha256', this.value, 'buffer');
  }

  /** In constant time; `digest` spares computing it again when the caller has it. */
  matches(storedHash: string | Buffer, digest: Buffer = this.digest()): boolean {
    const expected = typeof storedHash === 'string' ? Buffer.from(storedHash, 'hex') : storedHash;
    return expected.length === digest.length && timingSafeEqual(expected, digest);
  }
}
