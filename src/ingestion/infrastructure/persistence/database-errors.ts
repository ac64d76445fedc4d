import { StorageFullError, StorageUnavailableError } from '../../domain/ingestion.errors';

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

// SQLSTATE classes 08 (connection) and 53 (resources) but 53100 (disk full), 57P01–57P05 (shutting down, starting),
// 57014 (statement timeout), 40001/40P01 (serialization failure, deadlock: retryable).
const POSTGRES_UNAVAILABLE = /^(08|53(?!100)|57P0|57014$|40001$|40P01$)/;

const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED)/;

export type StorageFault = 'full' | 'read-only' | 'io-error';

// PostgreSQL 53100 disk_full, 25006 read_only_sql_transaction (a standby), class 58 (the system under the server).
const STORAGE_FAULTS: Array<[StorageFault, RegExp]> = [
  ['full', /^(SQLITE_FULL|53100)$/],
  ['read-only', /^(SQLITE_READONLY(_\w+)?|25006)$/],
  ['io-error', /^(SQLITE_(IOERR|CANTOPEN)(_\w+)?|58[0-9A-Z]{3})$/],
];

/** node-postgres and pg-pool errors that carry no code. */
const POSTGRES_CLIENT_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|connection timeout|Client has encountered a connection error|Client was closed|not queryable/i;

export function isDatabaseUnavailable(error: unknown): boolean {
  const cause = driverError(error);
  if (typeof cause !== 'object' || cause === null) return false;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_ERROR_CODES.has(code) || SQLITE_UNAVAILABLE.test(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return POSTGRES_UNAVAILABLE.test(code);
  }
  const nested = (cause as { errors?: unknown }).errors; // AggregateError of a failed dual-stack connect
  if (Array.isArray(nested) && nested.some((inner) => isDatabaseUnavailable(inner))) return true;
  const message = (cause as { message?: unknown }).message;
  return typeof message === 'string' && POSTGRES_CLIENT_MESSAGES.test(message);
}

export function storageFault(error: unknown): StorageFault | undefined {
  const code = (driverError(error) as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  return STORAGE_FAULTS.find(([, codes]) => codes.test(code))?.[0];
}

export function translateDatabaseError(error: unknown): unknown {
  const fault = storageFault(error);
  if (fault === 'full') return new StorageFullError(unavailableReason(error));
  if (fault !== undefined || isDatabaseUnavailable(error)) return new StorageUnavailableError(unavailableReason(error));
  return error;
}

/** For the log: the driver's code, or the first line of its message (never the SQL or its parameters). */
export function unavailableReason(error: unknown): string {
  const cause = driverError(error) as { code?: unknown; message?: unknown } | null;
  if (cause && typeof cause.code === 'string') return cause.code;
  return typeof cause?.message === 'string' ? cause.message.split('\n', 1)[0] : 'unknown';
}

/** TypeORM wraps driver errors of statements in QueryFailedError (`driverError`); connection errors come bare. */
function driverError(error: unknown): unknown {
  const wrapped = (error as { driverError?: unknown } | null)?.driverError;
  return wrapped ?? error;
}
