import { InvalidTimestampError } from './ingestion.errors';

/**
 * RFC 3339 `date-time` (section 5.6): `T` separator, optional fraction, `Z` or a numeric
 * offset. Parsed values are normalised to UTC with milliseconds.
 */
const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** An instant, rendered as RFC 3339 UTC with milliseconds: `2026-11-29T10:31:05.123Z`. */
export class Timestamp {
  private constructor(readonly value: string) {}

  static now(): Timestamp {
    return new Timestamp(new Date().toISOString());
  }

  static fromDate(date: Date): Timestamp {
    if (Number.isNaN(date.getTime())) {
      throw new InvalidTimestampError('Not a valid date.');
    }
    return new Timestamp(date.toISOString());
  }

  /** Accepts any RFC 3339 date-time and normalises it; anything else is an error. */
  static parse(text: unknown, field = 'timestamp'): Timestamp {
    const match = typeof text === 'string' ? RFC_3339.exec(text) : null;
    if (!match) {
      throw new InvalidTimestampError(
        `${field} must be an RFC 3339 date-time such as 2026-11-29T10:31:05.123Z.`,
        field,
      );
    }
    const [, year, month, day, hour, minute, second, , zone, offsetHour, offsetMinute] = match;
    const date = new Date(text as string);
    const fieldsInRange =
      Number(month) >= 1 &&
      Number(month) <= 12 &&
      Number(day) >= 1 &&
      Number(day) <= daysInMonth(Number(year), Number(month)) &&
      Number(hour) <= 23 &&
      Number(minute) <= 59 &&
      Number(second) <= 59 &&
      (zone.toUpperCase() === 'Z' || (Number(offsetHour) <= 23 && Number(offsetMinute) <= 59));
    if (!fieldsInRange || Number.isNaN(date.getTime())) {
      throw new InvalidTimestampError(`${field} is not a valid date-time.`, field);
    }
    return new Timestamp(date.toISOString());
  }

  equals(other: Timestamp): boolean {
    return this.value === other.value;
  }

  toString(): string {
    return this.value;
  }
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
