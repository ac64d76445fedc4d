import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable, storageFault, unavailableReason } from './database-errors';

/** An Error with the extra fields drivers put on theirs (code, errno, …). */
function driverError(message: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), fields);
}

/** A pg DatabaseError as node-postgres raises it: the SQLSTATE in `code`. */
function pgError(code: string, message: string): Error {
  return driverError(message, { code, severity: 'ERROR' });
}

const SQL = 'INSERT INTO "ingested_data" ("id", "payload") VALUES ($1, $2)';
const PARAMETERS = ['0190d5a8-0000-7000-8000-000000000000', '{"secret":"payload"}'];

/** What TypeORM throws when a statement fails: the driver's error in `driverError`, the SQL beside it. */
function queryFailed(cause: Error): QueryFailedError {
  return new QueryFailedError(SQL, PARAMETERS, cause);
}

describe('isDatabaseUnavailable', () => {
  describe('network errors', () => {
    it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH'])(
      'is true for %s',
      (code) => {
        expect(isDatabaseUnavailable(driverError(`connect ${code} 127.0.0.1:5432`, { code }))).toBe(true);
      },
    );

    it('is true for a connection refused on every address (AggregateError of a dual-stack connect)', () => {
      const error = new AggregateError(
        [
          driverError('connect ECONNREFUSED ::1:5432', { code: 'ECONNREFUSED' }),
          driverError('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' }),
        ],
        '',
      );
      expect(isDatabaseUnavailable(error)).toBe(true);
    });

    it('is true when only one of the inner errors is a network error', () => {
      const error = new AggregateError(
        [driverError('something else'), driverError('connect ECONNREFUSED ::1:5432', { code: 'ECONNREFUSED' })],
        'all failed',
      );
      expect(isDatabaseUnavailable(error)).toBe(true);
    });

    it('is false for an AggregateError of errors that are not about the database being there', () => {
      expect(isDatabaseUnavailable(new AggregateError([new Error('boom'), new Error('bang')], 'all failed'))).toBe(
        false,
      );
    });
  });

  describe('PostgreSQL SQLSTATEs', () => {
    it.each([
      ['08006', 'connection failure'],
      ['08001', 'sqlclient unable to establish sqlconnection'],
      ['57P01', 'terminating connection due to administrator command'],
      ['57P03', 'the database system is starting up'],
      ['53300', 'sorry, too many clients already'],
      ['53200', 'out of memory'],
      ['53400', 'configuration limit exceeded'],
      ['57014', 'canceling statement due to statement timeout'],
      ['40001', 'could not serialize access due to concurrent update'],
      ['40P01', 'deadlock detected'],
    ])('is true for %s (%s)', (code, message) => {
      expect(isDatabaseUnavailable(pgError(code, message))).toBe(true);
    });

    it.each([
      ['23505', 'duplicate key value violates unique constraint "pk_ingested_data"'],
      ['42601', 'syntax error at or near "SELEC"'],
      ['P0001', 'injected fault'],
      ['22P02', 'invalid input syntax for type uuid: "x"'],
      ['42P01', 'relation "ingested_data" does not exist'],
      ['53100', 'could not extend file "base/16384/16385": No space left on device'],
      ['25006', 'cannot execute INSERT in a read-only transaction'],
      ['58030', 'could not write to file "base/16384/16385": Input/output error'],
    ])('is false for %s (%s): not a database that is not there', (code, message) => {
      expect(isDatabaseUnavailable(pgError(code, message))).toBe(false);
    });

    it('goes by the SQLSTATE, not the message, when there is one', () => {
      expect(isDatabaseUnavailable(pgError('P0001', 'Connection terminated unexpectedly'))).toBe(false);
    });
  });

  describe('TypeORM QueryFailedError wrappers', () => {
    it.each(['57P01', '57014', '08006', '53300'])('is true when the driver error inside has %s', (code) => {
      expect(isDatabaseUnavailable(queryFailed(pgError(code, 'unavailable')))).toBe(true);
    });

    it.each(['23505', '42601', 'P0001'])('is false when the driver error inside has %s', (code) => {
      expect(isDatabaseUnavailable(queryFailed(pgError(code, 'a wrong statement')))).toBe(false);
    });

    it('reads a plain { driverError } object too', () => {
      expect(isDatabaseUnavailable({ message: 'query failed', driverError: { code: 'SQLITE_BUSY' } })).toBe(true);
      expect(isDatabaseUnavailable({ message: 'query failed', driverError: { code: 'SQLITE_CONSTRAINT' } })).toBe(
        false,
      );
      expect(isDatabaseUnavailable({ driverError: { code: 'ECONNREFUSED' } })).toBe(true);
    });

    it('is true for a wrapped pg client message without a code', () => {
      expect(isDatabaseUnavailable(queryFailed(new Error('Connection terminated unexpectedly')))).toBe(true);
    });
  });

  describe('SQLite', () => {
    it.each(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED_SHAREDCACHE'])(
      'is true for %s',
      (code) => {
        expect(isDatabaseUnavailable(driverError('database is locked', { code }))).toBe(true);
        expect(isDatabaseUnavailable(queryFailed(driverError('database is locked', { code })))).toBe(true);
      },
    );

    it.each(['SQLITE_CONSTRAINT', 'SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_TRIGGER', 'SQLITE_ERROR'])(
      'is false for %s',
      (code) => {
        expect(isDatabaseUnavailable(driverError('UNIQUE constraint failed: ingested_data.id', { code }))).toBe(false);
        expect(isDatabaseUnavailable(queryFailed(driverError('injected fault', { code })))).toBe(false);
      },
    );
  });

  describe('node-postgres and pg-pool messages without a code', () => {
    it.each([
      'Connection terminated unexpectedly',
      'Connection terminated due to connection timeout',
      'timeout exceeded when trying to connect',
      'Client has encountered a connection error and is not queryable',
      'Client was closed and is not queryable',
    ])('is true for %j', (message) => {
      expect(isDatabaseUnavailable(new Error(message))).toBe(true);
    });
  });

  describe('everything else', () => {
    it('is false for a plain Error', () => {
      expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
    });

    it('is false for an error with an unknown code', () => {
      expect(isDatabaseUnavailable(driverError('nope', { code: 'ERR_SOMETHING_ELSE' }))).toBe(false);
    });

    it.each([
      ['undefined', undefined],
      ['null', null],
      ['a string', 'ECONNREFUSED'],
      ['a message string', 'Connection terminated unexpectedly'],
      ['a number', 57014],
      ['a boolean', true],
    ])('is false for %s', (_name, value) => {
      expect(isDatabaseUnavailable(value)).toBe(false);
    });

    it('is false for a wrapper whose driverError is not an object', () => {
      expect(isDatabaseUnavailable({ driverError: 'ECONNREFUSED' })).toBe(false);
    });
  });
});

describe('storageFault', () => {
  it.each([
    ['SQLITE_FULL', 'full'],
    ['SQLITE_READONLY', 'read-only'],
    ['SQLITE_READONLY_DBMOVED', 'read-only'],
    ['SQLITE_READONLY_RECOVERY', 'read-only'],
    ['SQLITE_READONLY_DIRECTORY', 'read-only'],
    ['SQLITE_IOERR', 'io-error'],
    ['SQLITE_IOERR_WRITE', 'io-error'],
    ['SQLITE_IOERR_FSYNC', 'io-error'],
    ['SQLITE_IOERR_SHMSIZE', 'io-error'],
    ['SQLITE_CANTOPEN', 'io-error'],
    ['SQLITE_CANTOPEN_ISDIR', 'io-error'],
  ])('SQLite %s is %s, bare or inside a QueryFailedError', (code, fault) => {
    expect(storageFault(driverError('disk I/O error', { code }))).toBe(fault);
    expect(storageFault(queryFailed(driverError('disk I/O error', { code })))).toBe(fault);
  });

  it.each([
    ['53100', 'disk_full', 'full'],
    ['25006', 'read_only_sql_transaction', 'read-only'],
    ['58030', 'io_error', 'io-error'],
    ['58000', 'system_error', 'io-error'],
    ['58P01', 'undefined_file', 'io-error'],
    ['58P02', 'duplicate_file', 'io-error'],
  ])('PostgreSQL %s (%s) is %s, bare or inside a QueryFailedError', (code, _name, fault) => {
    expect(storageFault(pgError(code, 'a storage fault'))).toBe(fault);
    expect(storageFault(queryFailed(pgError(code, 'a storage fault')))).toBe(fault);
  });

  it.each([
    'SQLITE_BUSY',
    'SQLITE_LOCKED',
    'SQLITE_CONSTRAINT_PRIMARYKEY',
    'SQLITE_ERROR',
    'SQLITE_CORRUPT',
    'SQLITE_FULLNESS',
    'SQLITE_IOERRX',
    '53300',
    '57014',
    '08006',
    '23505',
    'P0001',
    '25P02',
    'ECONNREFUSED',
    'ERR_SOMETHING_ELSE',
  ])('is undefined for %s', (code) => {
    expect(storageFault(driverError('not a storage fault', { code }))).toBeUndefined();
    expect(storageFault(queryFailed(driverError('not a storage fault', { code })))).toBeUndefined();
  });

  it('goes by the code, not the message', () => {
    expect(storageFault(new Error('database or disk is full'))).toBeUndefined();
    expect(storageFault(pgError('P0001', 'could not extend file: No space left on device'))).toBeUndefined();
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'SQLITE_FULL'],
    ['a number', 53100],
    ['a code that is not a string', { code: 13 }],
  ])('is undefined for %s', (_name, value) => {
    expect(storageFault(value)).toBeUndefined();
  });
});

describe('unavailableReason', () => {
  it('gives the code of a network error', () => {
    expect(unavailableReason(driverError('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' }))).toBe(
      'ECONNREFUSED',
    );
  });

  it('gives the SQLSTATE of a pg error', () => {
    expect(unavailableReason(pgError('57P01', 'terminating connection due to administrator command'))).toBe('57P01');
  });

  it('gives the code of the driver error inside a QueryFailedError, not the SQL or its parameters', () => {
    const error = queryFailed(pgError('57014', 'canceling statement due to statement timeout'));
    const reason = unavailableReason(error);
    expect(reason).toBe('57014');
    expect(reason).not.toContain('INSERT');
    expect(reason).not.toContain('secret');
  });

  it('gives the code of a storage fault, not the SQL or its parameters', () => {
    const reason = unavailableReason(queryFailed(driverError('database or disk is full', { code: 'SQLITE_FULL' })));
    expect(reason).toBe('SQLITE_FULL');
    expect(unavailableReason(queryFailed(pgError('53100', `could not extend file\n${SQL}`)))).toBe('53100');
  });

  it('gives the SQLite code', () => {
    expect(unavailableReason(queryFailed(driverError('database is locked', { code: 'SQLITE_BUSY' })))).toBe(
      'SQLITE_BUSY',
    );
  });

  it('gives the first line of the message when there is no code', () => {
    expect(unavailableReason(new Error('Connection terminated unexpectedly'))).toBe(
      'Connection terminated unexpectedly',
    );
    expect(unavailableReason(new Error(`timeout exceeded when trying to connect\n${SQL}\n${PARAMETERS[1]}`))).toBe(
      'timeout exceeded when trying to connect',
    );
  });

  it('never gives the SQL of a wrapped error without a code', () => {
    const error = queryFailed(new Error(`Connection terminated unexpectedly\nwhile running: ${SQL}`));
    const reason = unavailableReason(error);
    expect(reason).toBe('Connection terminated unexpectedly');
    expect(reason).not.toContain('INSERT');
    expect(reason).not.toContain('secret');
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'boom'],
    ['a number', 42],
    ['an object without code or message', {}],
  ])('is "unknown" for %s', (_name, value) => {
    expect(unavailableReason(value)).toBe('unknown');
  });
});
