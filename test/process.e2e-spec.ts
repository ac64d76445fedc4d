import { existsSync } from 'node:fs';
import { countRows, TEST_DATABASE_KIND } from './support/database';
import { freePort, ServiceProcess, startService, waitUntilReady } from './support/service-process';
import { createTestDatabase, TestDatabase } from './support/test-app';

jest.setTimeout(60000);

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function ingest(url: string, payload: object): Promise<Response> {
  return fetch(`${url}/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ partner_id: 'acme', payload }),
  });
}

describe('the service as a process', () => {
  let database: TestDatabase;
  let service: ServiceProcess | undefined;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
    service = undefined;
    await database.remove();
  });

  it.each([
    ['PORT', 'abc'],
    ['DATABASE_URL', 'mysql://localhost/db'],
  ])('refuses to start when %s=%s, naming the variable', async (name, value) => {
    service = startService({ PORT: String(await freePort()), DATABASE_URL: database.url, [name]: value });
    expect(await service.exited).toBe(1);
    expect(service.output()).toContain(name);
    expect(service.output()).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  if (TEST_DATABASE_KIND === 'postgres') {
    it('retries a PostgreSQL that does not answer at start, then exits 1 without printing the password', async () => {
      const closedPort = await freePort();
      service = startService({
        PORT: String(await freePort()),
        DATABASE_URL: `postgres://postgres:hunter2@127.0.0.1:${closedPort}/ingestion`,
        DATABASE_CONNECT_RETRIES: '2',
        DATABASE_CONNECT_RETRY_DELAY_MS: '100',
      });
      expect(await service.exited).toBe(1);
      const output = service.output();
      expect(output).toContain('database not reachable (ECONNREFUSED): attempt 1 of 3 failed, retrying in 100 ms');
      expect(output).toContain('database not reachable (ECONNREFUSED): attempt 2 of 3 failed');
      expect(output).toContain('database not reachable (ECONNREFUSED): giving up');
      expect(output).not.toContain('attempt 3 of 3 failed, retrying');
      expect(output).not.toContain('hunter2');
      expect(output).not.toMatch(/\n\s+at /); // messages, not a stack trace
    });
  }

  // The default is a SQLite file, and the test runs in the temporary folder of the SQLite test database.
  if (TEST_DATABASE_KIND === 'sqlite') {
    it('starts on the embedded default: a SQLite file under data/ in the working directory, logging at info', async () => {
      const port = await freePort();
      const env = { PORT: String(port), DATABASE_URL: '', LOG_LEVEL: '' };
      service = startService(env, database.path.replace(/\/ingestion\.sqlite$/, ''));
      await waitUntilReady(service);
      const created = await ingest(service.url, { a: 1 });
      expect(created.status).toBe(201);
      expect(existsSync(database.path.replace(/ingestion\.sqlite$/, 'data/ingestion.sqlite'))).toBe(true);
      // Log output is written in blocks, at least every 250 ms.
      await waitFor(() => service!.output().includes('listening on http://'));
      const { id } = (await created.json()) as { id: string };
      await waitFor(() => service!.output().includes(`data ingested id=${id}`));
    });
  }

  it('keeps a record answered with 201 when the process is killed right after the response', async () => {
    const port = String(await freePort());
    service = startService({ PORT: port, DATABASE_URL: database.url });
    await waitUntilReady(service);
    const created = await ingest(service.url, { survives: 'SIGKILL' });
    expect(created.status).toBe(201);
    service.child.kill('SIGKILL');
    await service.exited;

    service = startService({ PORT: port, DATABASE_URL: database.url });
    await waitUntilReady(service);
    const { id } = (await created.json()) as { id: string };
    const read = await fetch(`${service.url}/ingest/${id}`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { payload: unknown }).payload).toEqual({ survives: 'SIGKILL' });
  });

  it('on SIGTERM answers the requests it accepted, then exits 0', async () => {
    service = startService({ PORT: String(await freePort()), DATABASE_URL: database.url });
    await waitUntilReady(service);
    const inFlight = Array.from({ length: 50 }, (_, i) => ingest(service!.url, { i }));
    await Promise.race(inFlight); // the server is taking them: signal while the rest are in flight
    service.child.kill('SIGTERM');
    const settled = await Promise.allSettled(inFlight);
    expect(await service.exited).toBe(0);
    // Every request either completed (201) or was refused before acceptance (connection error or 503); none failed mid-way.
    for (const result of settled) {
      if (result.status === 'fulfilled') expect([201, 503]).toContain(result.value.status);
    }
    const answered201 = settled.filter((r) => r.status === 'fulfilled' && r.value.status === 201).length;
    expect(answered201).toBeGreaterThan(0);
    // Nothing was stored without its 201 reaching the client, and nothing answered 201 is missing.
    expect(await countRows(database)).toBe(answered201);
  });
});
