import { types } from 'pg';

const JSON_OID = 114;
const TIMESTAMPTZ_OID = 1184;

const parseTimestamptz = types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => Date;

/**
 * How the pool of the service turns PostgreSQL values into JavaScript, so that rows come
 * back in the shapes SQLite gives and the mapper expects:
 * - `json` stays the stored text: parsing it would lose key order and number spelling,
 *   the very things the payload column keeps (the default parser calls JSON.parse);
 * - `timestamptz` becomes RFC 3339 UTC text with milliseconds (`2026-11-29T10:31:05.123Z`).
 * Set per pool (`types` of the pg config), never on the driver's global registry.
 */
export const POSTGRES_TYPE_PARSERS = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === JSON_OID) return (text: string) => text;
    if (oid === TIMESTAMPTZ_OID) return (text: string) => parseTimestamptz(text).toISOString();
    return types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
  },
};
