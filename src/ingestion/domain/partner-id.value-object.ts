import { InvalidPartnerIdError } from './ingestion.errors';

/** 1–64 URL-path-safe characters (RFC 3986 unreserved), starting with a letter or digit. */
export const PARTNER_ID = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$/;

export class PartnerId {
  static readonly MAX_LENGTH = 64;

  private constructor(readonly value: string) {}

  static create(value: unknown, field = 'partner_id'): PartnerId {
    if (value === undefined) throw new InvalidPartnerIdError('partner_id is required.', field);
    if (typeof value !== 'string') {
      throw new InvalidPartnerIdError('partner_id must be a string.', field);
    }
    if (!PARTNER_ID.test(value)) {
      throw new InvalidPartnerIdError(
        'partner_id must be 1-64 characters of A-Z a-z 0-9 . _ ~ - and start with a letter or digit.',
        field,
      );
    }
    return new PartnerId(value);
  }

  equals(other: PartnerId): boolean {
    return this.value === other.value;
  }

  toString(): string {
    return this.value;
  }
}
