import { InvalidTimestampError } from './ingestion.errors';

/** RFC 3339 `date-time` (section 5.6). */
const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-](\d{2}):(\d{2}))$/;

/** Fixed-width UTC form, so that text order is time order. */
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export class Timestamp {
  private constructor(readonly value: string) {}

  static now(): Timestamp {
    return Timestamp.fromDate(new Date());
  }

  static fromDate(date: Date): Timestamp {
    const value = Number.isNaN(date.getTime()) ? '' : date.toISOString();
    if (!CANONICAL.test(value)) {
      throw new InvalidTimestampError('The date is not valid or is outside the years 0000-9999.');
    }
    return new Timestamp(value);
  }

  /** Accepts any RFC 3339 date-time and normalises it to milliseconds (truncating); anything else is an error. */
  static parse(text: unknown, field = 'timestamp'): Timestamp {
    return Timestamp.fromDate(parseRfc3339(text, field).date);
  }

  /** A finer fraction rounds up, so `ts >= bound` and `ts < bound` mean the same as against the exact instant. */
  static parseRangeBound(text: unknown, field: string): Timestamp {
    const { date, finerThanMilliseconds } = parseRfc3339(text, field);
    return Timestamp.fromDate(finerThanMilliseconds ? new Date(date.getTime() + 1) : date);
  }

  equals(other: Timestamp): boolean {
    return this.value === other.value;
  }

  toString(): string {
    return this.value;
  }
}

function parseRfc3339(text: unknown, field: string): { date: Date; finerThanMilliseconds: boolean } {
  const match = typeof text === 'string' ? RFC_3339.exec(text) : null;
  if (!match) {
    throw new InvalidTimestampError(`${field} must be an RFC 3339 date-time such as 2026-11-29T10:31:05.123Z.`, field);
  }
  const [, year, month, day, hour, minute, second, fraction = '', zone, offsetHour, offsetMinute] = match.map(
    (part) => part ?? '',
  );
  const inRange =
    Number(month) >= 1 &&
    Number(month) <= 12 &&
    Number(day) >= 1 &&
    Number(day) <= daysInMonth(Number(year), Number(month)) &&
    Number(hour) <= 23 &&
    Number(minute) <= 59 &&
    Number(second) <= 59 &&
    (zone.toUpperCase() === 'Z' || (Number(offsetHour) <= 23 && Number(offsetMinute) <= 59));
  const date = new Date(text as string);
  if (!inRange || Number.isNaN(date.getTime())) {
    throw new InvalidTimestampError(`${field} is not a valid date-time.`, field);
  }
  return { date, finerThanMilliseconds: /[1-9]/.test(fraction.slice(3)) };
}

function daysInMonth(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0); // day 0 of the next month: the last day of this one
  return date.getUTCDate();
}
