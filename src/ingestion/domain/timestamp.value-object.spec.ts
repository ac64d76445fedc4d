import { InvalidTimestampError } from './ingestion.errors';
import { Timestamp } from './timestamp.value-object';

const UTC_WITH_MILLISECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('Timestamp', () => {
  describe('now', () => {
    it('renders RFC 3339 UTC with milliseconds', () => {
      expect(Timestamp.now().value).toMatch(UTC_WITH_MILLISECONDS);
    });

    it('parses back to itself', () => {
      const now = Timestamp.now();

      expect(Timestamp.parse(now.value).equals(now)).toBe(true);
    });
  });

  describe('fromDate', () => {
    it('renders the instant in UTC with milliseconds', () => {
      expect(Timestamp.fromDate(new Date(Date.UTC(2026, 10, 29, 10, 31, 5, 123))).value).toBe(
        '2026-11-29T10:31:05.123Z',
      );
      expect(Timestamp.fromDate(new Date(0)).value).toBe('1970-01-01T00:00:00.000Z');
    });

    it('rejects an invalid date with InvalidTimestampError', () => {
      expect(() => Timestamp.fromDate(new Date(Number.NaN))).toThrow(InvalidTimestampError);
    });
  });

  describe('parse', () => {
    it.each([
      ['UTC with milliseconds', '2026-11-29T10:31:05.123Z', '2026-11-29T10:31:05.123Z'],
      ['UTC without a fraction', '2026-11-29T10:31:05Z', '2026-11-29T10:31:05.000Z'],
      ['a one-digit fraction', '2026-11-29T10:31:05.5Z', '2026-11-29T10:31:05.500Z'],
      ['a two-digit fraction', '2026-11-29T10:31:05.12Z', '2026-11-29T10:31:05.120Z'],
      ['a positive offset', '2026-11-29T12:31:05.123+02:00', '2026-11-29T10:31:05.123Z'],
      ['a negative offset with minutes', '2026-11-29T05:01:05.123-05:30', '2026-11-29T10:31:05.123Z'],
      ['a zero offset', '2026-11-29T10:31:05.123+00:00', '2026-11-29T10:31:05.123Z'],
      ['an offset that crosses midnight and the year', '2026-01-01T01:00:00+02:00', '2025-12-31T23:00:00.000Z'],
      ['lower-case t and z (RFC 3339 5.6 note)', '2026-11-29t10:31:05.123z', '2026-11-29T10:31:05.123Z'],
      ['29 February of a leap year', '2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
      ['the last second of a day', '2026-12-31T23:59:59.999Z', '2026-12-31T23:59:59.999Z'],
      ['the largest positive offset hour', '2026-11-29T10:31:05+23:00', '2026-11-28T11:31:05.000Z'],
      ['the largest offset', '2026-11-29T10:31:05-23:59', '2026-11-30T10:30:05.000Z'],
      ['an offset minute of 59', '2026-11-29T10:31:05+01:59', '2026-11-29T08:32:05.000Z'],
    ])('accepts %s and normalises it to UTC', (_case, text, normalised) => {
      expect(Timestamp.parse(text).value).toBe(normalised);
    });

    it('accepts a fraction longer than milliseconds and renders milliseconds', () => {
      const parsed = Timestamp.parse('2026-11-29T10:31:05.123456789Z').value;

      expect(parsed).toMatch(UTC_WITH_MILLISECONDS);
      expect(parsed.startsWith('2026-11-29T10:31:05.12')).toBe(true);
    });

    it.each([
      ['a date only', '2026-11-29'],
      ['no zone', '2026-11-29T10:31:05'],
      ['no zone with a fraction', '2026-11-29T10:31:05.123'],
      ['no seconds', '2026-11-29T10:31Z'],
      ['a space instead of T', '2026-11-29 10:31:05Z'],
      ['month 13', '2026-13-01T00:00:00Z'],
      ['month 00', '2026-00-10T00:00:00Z'],
      ['day 00', '2026-11-00T00:00:00Z'],
      ['30 February', '2026-02-30T00:00:00Z'],
      ['29 February of a common year', '2026-02-29T00:00:00Z'],
      ['31 April', '2026-04-31T00:00:00Z'],
      ['hour 24', '2026-11-29T24:00:00Z'],
      ['minute 60', '2026-11-29T10:60:00Z'],
      ['an offset hour of 24', '2026-11-29T10:31:05+24:00'],
      ['an offset minute of 60', '2026-11-29T10:31:05+02:60'],
      ['an offset without minutes', '2026-11-29T10:31:05+02'],
      ['an offset without a colon', '2026-11-29T10:31:05+0200'],
      ['an empty fraction', '2026-11-29T10:31:05.Z'],
      ['a two-digit year', '26-11-29T10:31:05Z'],
      ['a signed six-digit year (ECMAScript, not RFC 3339)', '+002026-11-29T10:31:05Z'],
      ['a five-digit year', '12026-11-29T10:31:05Z'],
      ['text after the zone', '2026-11-29T10:31:05Z0'],
      ['a trailing newline', '2026-11-29T10:31:05Z\n'],
      ['a leading space', ' 2026-11-29T10:31:05Z'],
      ['epoch milliseconds as text', '1764412265123'],
      ['a JavaScript date string', 'Sun Nov 29 2026 10:31:05 GMT+0000'],
      ['garbage', 'yesterday'],
      ['an empty string', ''],
    ])('rejects %s with InvalidTimestampError', (_case, text) => {
      expect(() => Timestamp.parse(text)).toThrow(InvalidTimestampError);
    });

    it.each([[undefined], [null], [1_764_412_265_123], [new Date(0)], [{}], [['2026-11-29T10:31:05Z']]])(
      'rejects the non-string %p',
      (value) => {
        expect(() => Timestamp.parse(value)).toThrow(InvalidTimestampError);
      },
    );

    it('names the timestamp field by default and the field it is given otherwise', () => {
      expect(() => Timestamp.parse('nope')).toThrow(
        expect.objectContaining({ code: 'invalid-timestamp', field: 'timestamp' }),
      );
      expect(() => Timestamp.parse('2026-02-30T00:00:00Z', 'since')).toThrow(
        expect.objectContaining({ code: 'invalid-timestamp', field: 'since' }),
      );
      expect(() => Timestamp.parse(42, 'until')).toThrow(
        expect.objectContaining({ code: 'invalid-timestamp', field: 'until' }),
      );
    });
  });

  it('tells the client what it expects, and when a well-formed value is no real instant, says so', () => {
    expect(() => Timestamp.parse('yesterday', 'since')).toThrow(
      new InvalidTimestampError('since must be an RFC 3339 date-time such as 2026-11-29T10:31:05.123Z.', 'since'),
    );
    expect(() => Timestamp.parse('2026-02-30T00:00:00Z', 'until')).toThrow(
      new InvalidTimestampError('until is not a valid date-time.', 'until'),
    );
    expect(() => Timestamp.fromDate(new Date(Number.NaN))).toThrow(
      new InvalidTimestampError('The date is not valid or is outside the years 0000-9999.'),
    );
  });

  it('is equal to another Timestamp for the same instant, however it was written', () => {
    const utc = Timestamp.parse('2026-11-29T10:31:05.123Z');

    expect(Timestamp.parse('2026-11-29T12:31:05.123+02:00').equals(utc)).toBe(true);
    expect(Timestamp.parse('2026-11-29T10:31:05.124Z').equals(utc)).toBe(false);
    expect(utc.toString()).toBe('2026-11-29T10:31:05.123Z');
  });
});

describe('Timestamp.parseRangeBound', () => {
  it('rounds a fraction finer than milliseconds up, so that bounds over ms timestamps stay exact', () => {
    expect(Timestamp.parseRangeBound('2026-11-29T10:31:05.1231Z', 'since').value).toBe('2026-11-29T10:31:05.124Z');
    expect(Timestamp.parseRangeBound('2026-11-29T10:31:05.1239Z', 'until').value).toBe('2026-11-29T10:31:05.124Z');
  });

  it('leaves millisecond and coarser values alone', () => {
    expect(Timestamp.parseRangeBound('2026-11-29T10:31:05.123000Z', 'since').value).toBe('2026-11-29T10:31:05.123Z');
    expect(Timestamp.parseRangeBound('2026-11-29T12:31:05+02:00', 'since').value).toBe('2026-11-29T10:31:05.000Z');
  });

  it('names the field in its error', () => {
    expect(() => Timestamp.parseRangeBound('yesterday', 'until')).toThrow(expect.objectContaining({ field: 'until' }));
  });

  it('accepts 29 February of year 0 (a leap year)', () => {
    expect(Timestamp.parse('0000-02-29T00:00:00Z').value).toBe('0000-02-29T00:00:00.000Z');
  });

  it('refuses an instant that an offset moves before year 0', () => {
    expect(() => Timestamp.parse('0000-01-01T00:00:00+01:00')).toThrow(InvalidTimestampError);
  });
});
