import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from '@nestjs/common';
import Database from 'better-sqlite3';
import { countRows, TEST_DATABASE_KIND, TEST_POSTGRES_URL } from './support/database';
import { expectProblem, get, ingest, ingestOk, InjectResponse, Receipt } from './support/http';
import { TcpProxy } from './support/tcp-proxy';
import { createTestApp, createTestDatabase, TestDatabase } from './support/test-app';

const STORAGE_UNAVAILABLE = 'urn:problem-type:ingestion:storage-unavailable';

/** A 503 problem that tells the client to retry, and says nothing of the driver's error. */
function expectUnavailable(response: InjectResponse): void {
  expectProblem(response, 503, { type: STORAGE_UNAVAILABLE });
  expect(response.headers['retry-after']).toBe('1');
  expect(response.body).not.toMatch(/ECONNREFUSED|SQLITE|terminated|127\.0\.0\.1|INSERT|SELECT/);
}

/** Polls `/health/ready` until it answers `status` (the pool reconnects on its own). */
async function readinessBecomes(app: NestFastifyApplication, status: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  while (Date.now() < deadline) {
    last = (await get(app, '/health/ready')).statusCode;
    if (last === status) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`/health/ready still answers ${last}, not ${status}`);
}

if (TEST_DATABASE_KIND === 'postgres') {
  describe('when PostgreSQL goes away and comes back', () => {
    let database: TestDatabase;
    let proxy: TcpProxy;
    let app: NestFastifyApplication;

    beforeAll(async () => {
      database = await createTestDatabase();
      const upstream = new URL(TEST_POSTGRES_URL);
      proxy = await TcpProxy.start({ host: upstream.hostname, port: Number(upstream.port || 5432) });
      app = await createTestApp(
        { ...database, url: proxy.url(database.url) },
        { env: { DATABASE_CONNECT_TIMEOUT_MS: '1000' } },
      );
      // The service warns once per refused request; the test output stays readable.
      jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    });

    afterAll(async () => {
      jest.restoreAllMocks();
      await proxy.up().catch(() => undefined);
      await app.close();
      await proxy.down();
      await database.remove();
    });

    it('answers readiness 503 and every database route 503 problem+json (never 500), then recovers', async () => {
      const before = await ingestOk(app, 'acme', { before: true });
      expect((await get(app, '/health/ready')).statusCode).toBe(200);

      await proxy.down();

      await readinessBecomes(app, 503);
      expectProblem(await get(app, '/health/ready'), 503);
      expect((await get(app, '/health/live')).statusCode).toBe(200);
      expectUnavailable(await ingest(app, { partner_id: 'acme', payload: { during: 1 } }));
      expectUnavailable(
        await ingest(app, { partner_id: 'acme', payload: { during: 2 } }, { 'idempotency-key': 'k-1' }),
      );
      expectUnavailable(
        await app.inject({
          method: 'POST',
          url: '/ingest/batch',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ records: [{ partner_id: 'acme', payload: { during: 3 } }] }),
        }),
      );
      expectUnavailable(await get(app, `/ingest/${before.id}`));
      expectUnavailable(await get(app, '/ingest/all?limit=10'));
      expectUnavailable(await get(app, '/ingest/all'));
      expectUnavailable(await get(app, '/ingest/partner/acme'));

      await proxy.up();

      await readinessBecomes(app, 200);
      const after = await ingestOk(app, 'acme', { after: true });
      const replay = await ingest(app, { partner_id: 'acme', payload: { during: 2 } }, { 'idempotency-key': 'k-1' });
      expect(replay.statusCode).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBeUndefined(); // the refused first try stored nothing
      expect((await get(app, '/ingest/all')).json<Receipt[]>().map((record) => record.id)).toEqual([
        before.id,
        after.id,
        replay.json<Receipt>().id,
      ]);
      expect(await countRows(database)).toBe(3);
      expect(await countRows(database, 'idempotency_keys')).toBe(1);
    });
  });
}

if (TEST_DATABASE_KIND === 'postgres') {
  describe('when a PostgreSQL statement runs past DATABASE_STATEMENT_TIMEOUT_MS', () => {
    let database: TestDatabase;
    let app: NestFastifyApplication;

    beforeAll(async () => {
      database = await createTestDatabase();
      app = await createTestApp(database, { env: { DATABASE_STATEMENT_TIMEOUT_MS: '300' } });
      jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      // Inserts of partner 'slow' take a second: past the timeout, the server cancels them.
      await database.execute(
        `CREATE FUNCTION "slow_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW."partner_id" = 'slow' THEN PERFORM pg_sleep(1); END IF;
           RETURN NEW;
         END $$;
         CREATE TRIGGER "slow_insert" BEFORE INSERT ON "ingested_data" FOR EACH ROW EXECUTE FUNCTION "slow_insert"();`,
      );
    });

    afterAll(async () => {
      jest.restoreAllMocks();
      await app.close();
      await database.remove();
    });

    it('cancels it and answers 503 problem+json; the next requests are served', async () => {
      const started = Date.now();
      expectUnavailable(await ingest(app, { partner_id: 'slow', payload: {} }));
      expect(Date.now() - started).toBeLessThan(900);

      const fast = await ingestOk(app, 'fast', {});
      expect((await get(app, '/ingest/all')).json<Receipt[]>()).toEqual([fast]);
    });
  });
}

if (TEST_DATABASE_KIND === 'sqlite') {
  describe('when another process holds the SQLite write lock past the busy timeout', () => {
    let database: TestDatabase;
    let app: NestFastifyApplication;

    beforeAll(async () => {
      database = await createTestDatabase();
      app = await createTestApp(database, { env: { SQLITE_BUSY_TIMEOUT_MS: '100' } });
      jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    });

    afterAll(async () => {
      jest.restoreAllMocks();
      await app.close();
      await database.remove();
    });

    it('refuses writes with 503 problem+json (never 500), keeps reads and readiness, then writes again', async () => {
      const before = await ingestOk(app, 'acme', { before: true });
      const locker = new Database(database.path);
      try {
        locker.exec('BEGIN EXCLUSIVE');

        expectUnavailable(await ingest(app, { partner_id: 'acme', payload: { during: 1 } }));
        expectUnavailable(
          await ingest(app, { partner_id: 'acme', payload: { during: 2 } }, { 'idempotency-key': 'k-1' }),
        );
        expect((await get(app, `/ingest/${before.id}`)).statusCode).toBe(200);
        expect((await get(app, '/health/ready')).statusCode).toBe(200);
      } finally {
        locker.exec('ROLLBACK');
        locker.close();
      }

      const after = await ingestOk(app, 'acme', { after: true });
      expect((await get(app, '/ingest/all')).json<Receipt[]>().map((record) => record.id)).toEqual([
        before.id,
        after.id,
      ]);
    });
  });
}
