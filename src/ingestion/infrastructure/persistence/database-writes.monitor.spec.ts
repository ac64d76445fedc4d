import { Logger } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import type { DataSource } from 'typeorm';
import { DatabaseWritesMonitor } from './database-writes.monitor';

const PROBE_BYTES = 64;

function driverError(code: string): Error {
  return Object.assign(new Error(`failed with ${code}`), { code });
}

function queryFailed(code: string): QueryFailedError {
  return new QueryFailedError('INSERT INTO "ingested_data" …', ['{"secret":1}'], driverError(code));
}

/** A DataSource whose `query` (the probe write) does what the test says. */
function fakeDataSource(type: 'better-sqlite3' | 'postgres' = 'better-sqlite3') {
  const query = jest.fn<Promise<unknown>, [string, unknown[]]>().mockResolvedValue([]);
  return { dataSource: { options: { type }, query } as unknown as DataSource, query };
}

describe('DatabaseWritesMonitor', () => {
  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it('knows of no fault, and probes nothing, until a write fails on one', async () => {
    const { dataSource, query } = fakeDataSource();
    const monitor = new DatabaseWritesMonitor(dataSource, PROBE_BYTES);

    expect(await monitor.currentFault()).toBeUndefined();
    expect(query).not.toHaveBeenCalled();
  });

  it.each(['SQLITE_BUSY', '57014', 'ECONNREFUSED', 'SQLITE_CONSTRAINT_PRIMARYKEY', '23505'])(
    'records nothing for %s (not a storage fault)',
    async (code) => {
      const { dataSource, query } = fakeDataSource();
      const monitor = new DatabaseWritesMonitor(dataSource, PROBE_BYTES);

      monitor.recordFailure(queryFailed(code));

      expect(await monitor.currentFault()).toBeUndefined();
      expect(query).not.toHaveBeenCalled();
    },
  );

  it('records a storage fault; a probe write that commits clears it', async () => {
    const { dataSource, query } = fakeDataSource();
    const monitor = new DatabaseWritesMonitor(dataSource, PROBE_BYTES);

    monitor.recordFailure(queryFailed('SQLITE_FULL'));
    query.mockRejectedValueOnce(queryFailed('SQLITE_FULL'));
    expect(await monitor.currentFault()).toEqual({ fault: 'full', reason: 'SQLITE_FULL' });

    expect(await monitor.currentFault()).toBeUndefined();
    expect(await monitor.currentFault()).toBeUndefined();
    expect(query).toHaveBeenCalledTimes(2);
  });

  it('writes a ballast of the given size into storage_probe, numbered for PostgreSQL', async () => {
    const { dataSource, query } = fakeDataSource('postgres');
    const monitor = new DatabaseWritesMonitor(dataSource, PROBE_BYTES);

    monitor.recordFailure(queryFailed('25006'));
    await monitor.currentFault();

    const [sql, parameters] = query.mock.calls[0];
    expect(sql).toMatch(/^INSERT INTO "storage_probe" .* VALUES \(\$1, \$2, \$3\)/s);
    expect(parameters[0]).toBe(1);
    expect(parameters[2]).toBeInstanceOf(Buffer);
    expect((parameters[2] as Buffer).length).toBe(PROBE_BYTES);
  });

  it('keeps the fault the failing probe reports', async () => {
    const { dataSource, query } = fakeDataSource();
    const monitor = new DatabaseWritesMonitor(dataSource, PROBE_BYTES);

    monitor.recordFailure(queryFailed('SQLITE_FULL'));
    query.mockRejectedValueOnce(queryFailed('SQLITE_READONLY'));

    expect(await monitor.currentFault()).toEqual({ fault: 'read-only', reason: 'SQLITE_READONLY' });
  });

  it('keeps the fault when the probe fails for another reason (the database does not answer)', async () => {
    const { dataSource, query } = fakeDataSource();
    const monitor = new DatabaseWritesMonitor(dataSource, PROBE_BYTES);

    monitor.recordFailure(queryFailed('58030'));
    query.mockRejectedValueOnce(driverError('ECONNREFUSED'));

    expect(await monitor.currentFault()).toEqual({ fault: 'io-error', reason: '58030' });
  });

  it('runs one probe for readiness checks that come together', async () => {
    const { dataSource, query } = fakeDataSource();
    const monitor = new DatabaseWritesMonitor(dataSource, PROBE_BYTES);
    monitor.recordFailure(queryFailed('SQLITE_IOERR_WRITE'));

    const faults = await Promise.all([monitor.currentFault(), monitor.currentFault(), monitor.currentFault()]);

    expect(faults).toEqual([undefined, undefined, undefined]);
    expect(query).toHaveBeenCalledTimes(1);
  });

  it('keeps a fault that a write recorded while the probe ran', async () => {
    const { dataSource, query } = fakeDataSource();
    const monitor = new DatabaseWritesMonitor(dataSource, PROBE_BYTES);
    monitor.recordFailure(queryFailed('SQLITE_FULL'));
    query.mockImplementationOnce(async () => {
      monitor.recordFailure(queryFailed('SQLITE_IOERR_WRITE'));
      return [];
    });

    expect(await monitor.currentFault()).toEqual({ fault: 'io-error', reason: 'SQLITE_IOERR_WRITE' });
  });

  it('warns once when writes start failing, with the driver code and no SQL or parameters', () => {
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const monitor = new DatabaseWritesMonitor(fakeDataSource().dataSource, PROBE_BYTES);

    monitor.recordFailure(queryFailed('SQLITE_FULL'));
    monitor.recordFailure(queryFailed('SQLITE_FULL'));

    expect(warned).toHaveBeenCalledTimes(1);
    const [message] = warned.mock.calls[0] as [string];
    expect(message).toContain('SQLITE_FULL');
    expect(message).not.toMatch(/INSERT|secret/);
  });
});
