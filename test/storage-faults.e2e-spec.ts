import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Database } from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync, writeSync, openSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataSource } from 'typeorm';
import { countRows, TEST_DATABASE_KIND } from './support/database';
import { expectProblem, get, ingest, ingestBatch, ingestOk, InjectResponse, Receipt } from './support/http';
import { freePort, ServiceProcess, startService } from './support/service-process';
import { createTestApp, createTestDatabase, TestDatabase, useTestApp } from './support/test-app';

jest.setTimeout(30_000);

const STORAGE_FULL = 'urn:problem-type:ingestion:storage-full';
const STORAGE_UNAVAILABLE = 'urn:problem-type:ingestion:storage-unavailable';

/** A problem that tells the client to retry, and says nothing of the driver's error. */
function expectRetryable(response: InjectResponse, status: 503 | 507): void {
  expectProblem(response, status, { type: status === 507 ? STORAGE_FULL : STORAGE_UNAVAILABLE });
  expect(response.headers['retry-after']).toBe('1');
  expect(response.body).not.toMatch(/SQLITE|53100|25006|58030|injected|storage_probe|ENOSPC/);
}

async function readinessBecomes(app: NestFastifyApplication, status: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    last = (await get(app, '/health/ready')).statusCode;
    if (last === status) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`/health/ready still answers ${last}, not ${status}`);
}

/** One record of the given payload, in a batch of `count`. */
function batchOf(count: number, payload: Record<string, unknown>) {
  return { records: Array.from({ length: count }, (_, n) => ({ partner_id: 'acme', payload: { ...payload, n } })) };
}

/** The warnings the service logged, joined; no SQL, parameter or payload may be among them. */
function spyOnWarnings(): () => string {
  const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  return () => warned.mock.calls.map((call) => call.map(String).join(' ')).join('\n');
}

function expectNoStatementLogged(warnings: string): void {
  expect(warnings).not.toMatch(/INSERT|SELECT|storage_probe|secret-payload/);
}

function mountTmpfs(folder: string, sizeBytes: number): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', folder]);
}

function remount(folder: string, mode: 'ro' | 'rw'): void {
  execFileSync('mount', ['-o', `remount,${mode}`, folder]);
}

/** Unmounts even a file system something still holds open (lazily), so that no test leaves one behind. */
function unmount(folder: string): void {
  try {
    execFileSync('umount', [folder], { stdio: 'ignore' });
  } catch {
    execFileSync('umount', ['-l', folder]);
  }
}

/** Writes zeros to `path` until the file system has no byte left. */
function fillUp(path: string): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

if (TEST_DATABASE_KIND === 'sqlite') {
  describe('SQLite on a file system that fills up (a real tmpfs)', () => {
    const RECORD_TEXT = 'x'.repeat(16 * 1024);
    let database: TestDatabase;
    let folder: string;
    let mounted = false;
    let app: NestFastifyApplication | undefined;
    let warnings: () => string;

    beforeAll(async () => {
      database = await createTestDatabase();
      folder = dirname(database.path);
      mountTmpfs(folder, 2 * 1024 * 1024);
      mounted = true;
      // Taken now, given back to end the fault.
      writeFileSync(join(folder, 'reserve'), Buffer.alloc(512 * 1024));
      app = await createTestApp(database, { env: { MAX_PAYLOAD_BYTES: String(64 * 1024) } });
      warnings = spyOnWarnings();
    });

    afterAll(async () => {
      jest.restoreAllMocks();
      await app?.close();
      if (mounted) unmount(folder);
      await database.remove();
    });

    it('answers 507 with Retry-After, readiness 503, keeps every acked record; writes again by itself once space is freed', async () => {
      const logged = jest.spyOn(Logger.prototype, 'error');
      const acked: Receipt[] = [];
      let refused: InjectResponse | undefined;
      for (let n = 0; n < 1000 && refused === undefined; n++) {
        const response = await ingest(app!, { partner_id: 'acme', payload: { n, text: RECORD_TEXT } });
        if (response.statusCode === 201) acked.push(response.json<Receipt>());
        else refused = response;
      }
      expect(acked.length).toBeGreaterThan(10);
      expectRetryable(refused!, 507);
      // Whatever a failed write left of free space, nothing is. (The WAL space a failed write
      // took stays allocated: a record smaller than the one refused may still fit in it.)
      fillUp(join(folder, 'filler'));

      const secret = { text: RECORD_TEXT, secret: 'secret-payload' };
      expectRetryable(await ingest(app!, { partner_id: 'acme', payload: secret }), 507);
      expectRetryable(await ingestBatch(app!, batchOf(3, { text: RECORD_TEXT })), 507);
      expectRetryable(await ingest(app!, { partner_id: 'acme', payload: secret }, { 'idempotency-key': 'k-1' }), 507);
      expectProblem(await get(app!, '/health/ready'), 503);
      expectProblem(await get(app!, '/health/ready'), 503);
      expect((await get(app!, '/health/live')).statusCode).toBe(200);

      for (const receipt of acked) {
        const read = await get(app!, `/ingest/${receipt.id}`);
        expect(read.statusCode).toBe(200);
        expect(read.json()).toEqual({ ...receipt, payload: { n: acked.indexOf(receipt), text: RECORD_TEXT } });
      }
      expect((await get(app!, '/ingest/all')).json<Receipt[]>()).toEqual(acked);

      rmSync(join(folder, 'filler'));
      rmSync(join(folder, 'reserve'));

      await readinessBecomes(app!, 200);
      const single = await ingestOk(app!, 'acme', { after: true, text: RECORD_TEXT });
      const batch = await ingestBatch(app!, batchOf(3, { text: RECORD_TEXT }));
      expect(batch.statusCode).toBe(201);
      const replay = await ingest(app!, { partner_id: 'acme', payload: secret }, { 'idempotency-key': 'k-1' });
      expect(replay.statusCode).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBeUndefined(); // the refused first try stored nothing
      const written = [single, ...batch.json<{ records: Receipt[] }>().records, replay.json<Receipt>()];
      expect((await get(app!, '/ingest/all')).json<Receipt[]>()).toEqual([...acked, ...written]);
      expect(await countRows(database)).toBe(acked.length + written.length);

      expect(warnings()).toContain('database full (SQLITE_FULL)');
      expectNoStatementLogged(warnings());
      expect(logged).not.toHaveBeenCalled();
    });
  });

  describe('SQLite that refuses writes: read-only', () => {
    // `mount -o remount,ro` is refused (EBUSY) while the service has the database open for
    // writing, so a running SQLite meets a read-only database through SQLite itself: query_only
    // makes every write fail with SQLITE_READONLY, as a read-only file does.
    const context = useTestApp();

    it('answers 503 with Retry-After and readiness 503, keeps reads; writes again by itself once writable', async () => {
      const warnings = spyOnWarnings();
      const logged = jest.spyOn(Logger.prototype, 'error');
      const before = await ingestOk(context.app, 'acme', { before: true });
      const connection = (context.app.get(DataSource).driver as unknown as { databaseConnection: Database })
        .databaseConnection;
      connection.pragma('query_only = ON');
      try {
        expectRetryable(await ingest(context.app, { partner_id: 'acme', payload: { text: 'secret-payload' } }), 503);
        expectRetryable(await ingestBatch(context.app, batchOf(2, {})), 503);
        expectRetryable(
          await ingest(context.app, { partner_id: 'acme', payload: {} }, { 'idempotency-key': 'k-ro' }),
          503,
        );
        expectProblem(await get(context.app, '/health/ready'), 503);
        expectProblem(await get(context.app, '/health/ready'), 503);
        expect((await get(context.app, `/ingest/${before.id}`)).statusCode).toBe(200);
      } finally {
        connection.pragma('query_only = OFF');
      }

      await readinessBecomes(context.app, 200);
      const after = await ingestOk(context.app, 'acme', { after: true });
      expect((await get(context.app, '/ingest/all')).json<Receipt[]>()).toEqual([before, after]);
      expect(warnings()).toContain('database unavailable (SQLITE_READONLY)');
      expectNoStatementLogged(warnings());
      expect(logged).not.toHaveBeenCalled();
      jest.restoreAllMocks();
    });
  });

  describe('the start on a read-only SQLite file system', () => {
    let database: TestDatabase;
    let folder: string;
    let mounted = false;
    let service: ServiceProcess | undefined;

    beforeAll(async () => {
      database = await createTestDatabase();
      folder = dirname(database.path);
      mountTmpfs(folder, 4 * 1024 * 1024);
      mounted = true;
    });

    afterAll(async () => {
      if (service && service.child.exitCode === null) {
        service.child.kill('SIGKILL');
        await service.exited;
      }
      if (mounted) unmount(folder);
      await database.remove();
    });

    it('stops with exit 1 and one line that names the file, not a stack trace', async () => {
      const app = await createTestApp(database);
      await ingestOk(app, 'acme', {});
      await app.close();
      remount(folder, 'ro');

      service = startService({ PORT: String(await freePort()), DATABASE_URL: database.url });

      expect(await service.exited).toBe(1);
      const output = service.output();
      expect(output).toContain(`database is read-only (SQLITE_CANTOPEN, EROFS): ${database.path}`);
      expect(output).not.toMatch(/\n\s+at /);
      expect(output.trim().split('\n')).toHaveLength(1);
      remount(folder, 'rw');
    });
  });
}

if (TEST_DATABASE_KIND === 'postgres') {
  /**
   * Makes every write to the records, the idempotency keys and the storage probe fail with the
   * SQLSTATE `condition`, as a full disk or a read-only server fails them all; the returned
   * function ends the fault. Each INSERT the database refuses takes one value of a sequence
   * (sequences ignore rollbacks), so a test can count them.
   */
  async function installWriteFault(database: TestDatabase, condition: string): Promise<() => Promise<void>> {
    const tables = ['ingested_data', 'idempotency_keys', 'storage_probe'];
    await database.execute(
      `CREATE SEQUENCE "refused_writes";
       CREATE FUNCTION "refuse_write"() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM nextval('refused_writes');
         RAISE EXCEPTION 'injected storage fault' USING ERRCODE = '${condition}';
       END $$;
       ${tables
         .map(
           (table) =>
             `CREATE TRIGGER "refuse_write" BEFORE INSERT OR UPDATE ON "${table}" FOR EACH ROW EXECUTE FUNCTION "refuse_write"();`,
         )
         .join('\n')}`,
    );
    return () =>
      database.execute(
        `${tables.map((table) => `DROP TRIGGER "refuse_write" ON "${table}";`).join('\n')}
         DROP FUNCTION "refuse_write"(); DROP SEQUENCE "refused_writes";`,
      );
  }

  describe.each([
    ['disk_full', '53100', 507],
    ['read_only_sql_transaction', '25006', 503],
    ['io_error', '58030', 503],
  ] as const)('PostgreSQL refusing every write with %s (%s)', (condition, sqlstate, status) => {
    const context = useTestApp();

    it(`answers ${status} with Retry-After and readiness 503; writes again by itself once the fault ends`, async () => {
      const warnings = spyOnWarnings();
      const logged = jest.spyOn(Logger.prototype, 'error');
      const before = await ingestOk(context.app, 'acme', { before: true });
      const endFault = await installWriteFault(context.database, condition);
      try {
        expectRetryable(await ingest(context.app, { partner_id: 'acme', payload: { text: 'secret-payload' } }), status);
        expectRetryable(await ingestBatch(context.app, batchOf(3, {})), status);
        expectRetryable(
          await ingest(context.app, { partner_id: 'acme', payload: {} }, { 'idempotency-key': 'k-1' }),
          status,
        );
        expectProblem(await get(context.app, '/health/ready'), 503);
        expectProblem(await get(context.app, '/health/ready'), 503);
        expect((await get(context.app, `/ingest/${before.id}`)).statusCode).toBe(200);
      } finally {
        await endFault();
      }

      await readinessBecomes(context.app, 200);
      const after = await ingestOk(context.app, 'acme', { after: true });
      const replay = await ingest(context.app, { partner_id: 'acme', payload: {} }, { 'idempotency-key': 'k-1' });
      expect(replay.statusCode).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBeUndefined();
      expect((await get(context.app, '/ingest/all')).json<Receipt[]>()).toEqual([before, after, replay.json()]);
      expect(warnings()).toContain(`(${sqlstate})`);
      expectNoStatementLogged(warnings());
      expect(logged).not.toHaveBeenCalled();
      jest.restoreAllMocks();
    });

    it(`fails every record of a group of concurrent single records with ${status}, none of them inserted alone`, async () => {
      spyOnWarnings();
      const dataSource = context.app.get(DataSource);
      const original = dataSource.query.bind(dataSource);
      const groups: number[] = [];
      const queried = jest.spyOn(dataSource, 'query').mockImplementation((...args: Parameters<DataSource['query']>) => {
        const [sql, parameters] = args;
        if (/^\s*(WITH "head" AS [^;]*)?INSERT INTO "ingested_data"/.test(sql))
          groups.push((parameters as string[][])[0].length);
        return original(...args);
      });
      const endFault = await installWriteFault(context.database, condition);
      try {
        const responses = await Promise.all(
          Array.from({ length: 40 }, (_, n) => ingest(context.app, { partner_id: 'acme', payload: { n } })),
        );
        for (const response of responses) expectRetryable(response, status);
      } finally {
        queried.mockRestore();
        await endFault();
        jest.restoreAllMocks();
      }
      expect(Math.max(...groups)).toBeGreaterThan(1);
      expect(groups.reduce((sum, size) => sum + size, 0)).toBe(40);
    });
  });

  describe('the start on a read-only PostgreSQL database', () => {
    let database: TestDatabase;
    let service: ServiceProcess | undefined;

    beforeAll(async () => {
      database = await createTestDatabase();
    });

    afterAll(async () => {
      if (service && service.child.exitCode === null) {
        service.child.kill('SIGKILL');
        await service.exited;
      }
      await database.remove();
    });

    it('stops with exit 1 and one line that names the database, not a stack trace', async () => {
      const app = await createTestApp(database);
      await app.close();
      await database.execute(`ALTER DATABASE "${database.path}" SET default_transaction_read_only = on`);

      service = startService({ PORT: String(await freePort()), DATABASE_URL: database.url });

      expect(await service.exited).toBe(1);
      const output = service.output();
      expect(output).toContain(`database is read-only (25006): ${database.url}`);
      expect(output).not.toMatch(/\n\s+at /);
      expect(output.trim().split('\n')).toHaveLength(1);
    });
  });
}
