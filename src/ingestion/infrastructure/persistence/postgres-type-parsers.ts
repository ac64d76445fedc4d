import { types } from 'pg';

const JSON_OID = 114;
const TIMESTAMPTZ_OID = 1184;

const parseTimestamptz = types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => Date;

/**
 * Rows in the shapes SQLite gives: `json` stays text (JSON.parse would lose key order and number spelling), and
 * `timestamptz` is RFC 3339 UTC text. Set per pool (`types` of the pg config), never on the driver's global registry.
 */
export const POSTGRES_TYPE_PARSERS = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === JSON_OID) return (text: string) => text;
    if (oid === TIMESTAMPTZ_OID) return (text: string) => parseTimestamptz(text).toISOString();
    return types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
  },
};
