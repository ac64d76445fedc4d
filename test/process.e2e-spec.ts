import { existsSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { countRows, insertRows, seedRows, TEST_DATABASE_KIND } from './support/database';
import { RawConnection } from './support/raw-connection';
import { requestHead } from './support/raw-http';
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

/** How one POST /ingest of the load ended: a whole response, or a connection that failed before or during one. */
type IngestOutcome = { status: number } | { error: string; duringResponse: boolean };

/** POST /ingest through `agent` (keep-alive), resolving to its outcome rather than throwing. */
function ingestThrough(agent: Agent, url: string, payload: object): Promise<IngestOutcome> {
  return new Promise((resolve) => {
    const headers = { 'content-type': 'application/json' };
    const sent = request(`${url}/ingest`, { method: 'POST', agent, headers }, (response) => {
      response.resume();
      response.once('end', () => resolve({ status: response.statusCode! }));
      response.once('close', () => {
        if (!response.complete) resolve({ error: 'aborted', duringResponse: true });
      });
    });
    sent.once('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? error.message, duringResponse: false }),
    );
    sent.end(JSON.stringify({ partner_id: 'acme', payload }));
  });
}

/** Resolves once a new TCP connection to `port` is refused: the server has stopped accepting. */
async function waitUntilRefused(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    });
    if (refused) return;
    if (Date.now() > deadline) throw new Error(`port ${port} still accepting after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
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

  it('on SIGTERM under load: readiness answers 503 while draining, accepted ingests are answered, exit 0 within SHUTDOWN_TIMEOUT_MS', async () => {
    const shutdownTimeoutMs = 8000;
    const port = await freePort();
    service = startService({
      PORT: String(port),
      DATABASE_URL: database.url,
      SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
    });
    await waitUntilReady(service);
    const exit = service.exited.then((code) => ({ code, at: Date.now() }));
    const agent = new Agent({ keepAlive: true, maxSockets: 20 });
    const readiness = await RawConnection.open(port);
    try {
      // A readiness request answered 200 on an established connection, and in the same write the start of
      // the next one: a connection with a request begun is not idle, so closing the server does not drop
      // it, and the server cannot finish closing (nor the process exit) before that request is answered.
      const ready = 'GET /health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\n';
      readiness.write(`${ready}\r\n${ready}`);
      expect((await readiness.response()).status).toBe(200);

      // Load: 20 keep-alive connections, each sending POST /ingest back to back until its connection fails.
      const outcomes: IngestOutcome[] = [];
      let signalled = false;
      let failedBeforeSignal = 0;
      const loops = Array.from({ length: 20 }, async (_, loop) => {
        for (let i = 0; ; i++) {
          const outcome = await ingestThrough(agent, service!.url, { loop, i });
          outcomes.push(outcome);
          if ('error' in outcome) {
            if (!signalled) failedBeforeSignal++;
            return;
          }
        }
      });
      const created = () => outcomes.filter((o) => 'status' in o && o.status === 201).length;
      await waitFor(() => created() >= 100);

      const signalledAt = Date.now();
      signalled = true;
      service.child.kill('SIGTERM');
      // The process acts on the signal when its event loop gets to it: once it refuses new connections,
      // shutdown has begun, and readiness must already fail while the drain goes on.
      await waitUntilRefused(port);
      expect(service.child.exitCode).toBeNull();
      readiness.write('\r\n');
      const notReady = await readiness.response();
      expect(notReady.status).toBe(503);
      expect(notReady.headers.connection).toBe('close');

      const { code, at } = await exit;
      expect(code).toBe(0);
      expect(at - signalledAt).toBeLessThan(shutdownTimeoutMs);
      await Promise.all(loops);

      // Every response was whole and a 201 or a 503; connections refused, or reset before any response
      // (a keep-alive connection closed while idle, its next request unread), are not accepted requests.
      const statuses = outcomes.flatMap((o) => ('status' in o ? [o.status] : []));
      const failures = outcomes.flatMap((o) => ('error' in o ? [o] : []));
      expect(statuses.filter((status) => status !== 201 && status !== 503)).toEqual([]);
      expect(failures.filter((failure) => failure.duringResponse)).toEqual([]);
      expect(failures.filter((f) => !['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(f.error))).toEqual([]);
      expect(failedBeforeSignal).toBe(0);
      // Nothing was stored without its 201 reaching the client, and nothing answered 201 is missing.
      expect(await countRows(database)).toBe(created());
    } finally {
      readiness.destroy();
      agent.destroy();
    }
  });

  it('for SHUTDOWN_DELAY_MS after SIGTERM: readiness 503 problem+json on new connections, ingests still served on kept connections; a second SIGTERM changes nothing', async () => {
    const port = await freePort();
    service = startService({ PORT: String(port), DATABASE_URL: database.url, SHUTDOWN_DELAY_MS: '2000' });
    await waitUntilReady(service);
    const exit = service.exited.then((code) => ({ code, at: Date.now() }));

    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    let notReady = await fresh(port, 'GET', '/health/ready');
    while (notReady.status === 200 && Date.now() - signalledAt < 1000)
      notReady = await fresh(port, 'GET', '/health/ready');
    expect(notReady.status).toBe(503);
    expect(notReady.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(notReady.headers['retry-after']).toBe('1');
    expect(notReady.headers['x-request-id']).toBeDefined();
    expect(notReady.headers.connection).toBe('close');

    service.child.kill('SIGTERM');
    const kept = await RawConnection.open(port);
    try {
      kept.write(ingestRequest({ late: true }));
      const created = await kept.response();
      expect(created.status).toBe(201);
      // Until the listener closes, a gateway keeps reusing its connections rather than opening new ones.
      expect(created.headers.connection).toBe('keep-alive');
    } finally {
      kept.destroy();
    }
    expect((await fresh(port, 'GET', '/health/live')).status).toBe(200);

    const { code, at } = await exit;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeGreaterThanOrEqual(2000);
    expect(at - signalledAt).toBeLessThan(10000);
    expect(await countRows(database)).toBe(1);
    expect(service.output()).toContain('already shutting down');
  });

  it('once it stops accepting, a request on an idle keep-alive connection is still served with Connection: close; the process exits 0 when its client has closed it', async () => {
    const port = await freePort();
    service = startService({ PORT: String(port), DATABASE_URL: database.url, SHUTDOWN_DELAY_MS: '200' });
    await waitUntilReady(service);
    const gateway = await RawConnection.open(port);
    try {
      gateway.write(requestHead('GET /health/live HTTP/1.1'));
      expect((await gateway.response()).headers.connection).not.toBe('close');

      service.child.kill('SIGTERM');
      await waitUntilRefused(port);
      // The moment nginx lost POSTs: the listener has just closed and a gateway writes onto its idle connection.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(service.child.exitCode).toBeNull();
      gateway.write(ingestRequest({ after: 'listener closed' }));
      const created = await gateway.response();

      expect(created.status).toBe(201);
      expect(created.headers.connection).toBe('close');
      expect(await service.exited).toBe(0);
      expect(await countRows(database)).toBe(1);
    } finally {
      gateway.destroy();
    }
  });

  it('on SIGTERM, a keep-alive connection its client leaves idle is closed after HTTP_KEEP_ALIVE_TIMEOUT_MS, not when the listener closes', async () => {
    const keepAliveTimeoutMs = 3000;
    const port = await freePort();
    service = startService({
      PORT: String(port),
      DATABASE_URL: database.url,
      SHUTDOWN_DELAY_MS: '0',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: String(keepAliveTimeoutMs),
    });
    await waitUntilReady(service);
    const idle = connect(port, '127.0.0.1');
    idle.on('error', () => undefined);
    const closedAt = new Promise<number>((resolve) => idle.once('close', () => resolve(Date.now())));
    idle.write(requestHead('GET /health/live HTTP/1.1'));
    await new Promise((resolve) => idle.once('data', resolve));
    const answeredAt = Date.now();

    service.child.kill('SIGTERM');
    await waitUntilRefused(port);

    const idleMs = (await closedAt) - answeredAt;
    expect(idleMs).toBeGreaterThanOrEqual(keepAliveTimeoutMs - 500);
    // Well before the deadline's cut (one second before SHUTDOWN_TIMEOUT_MS, 10 s).
    expect(idleMs).toBeLessThan(keepAliveTimeoutMs + 2000);
    expect(await service.exited).toBe(0);
  });

  it('on SIGTERM, an export whose reader has stalled is cut before SHUTDOWN_TIMEOUT_MS and the process still exits 0', async () => {
    const shutdownTimeoutMs = 4000;
    const port = await freePort();
    service = startService({
      PORT: String(port),
      DATABASE_URL: database.url,
      SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
      EXPORT_STALL_TIMEOUT_MS: '60000',
      LOG_LEVEL: 'info',
    });
    await waitUntilReady(service);
    // About 10 MB of list: more than the socket buffers between a reader that stopped and the server.
    await insertRows(database, seedRows(100_000, 'acme', new Date('2026-01-01T00:00:00.000Z')));
    const reader = connect(port, '127.0.0.1');
    const readerClosed = new Promise<void>((resolve) => reader.once('close', () => resolve()));
    reader.on('error', () => undefined);
    reader.write('GET /ingest/all HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => reader.once('data', resolve));
    reader.pause();

    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    const code = await service.exited;

    expect(code).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(shutdownTimeoutMs);
    reader.resume(); // a paused socket reports its end only once what the server had sent is read
    await readerClosed;
    expect(service.output()).toContain('still open at the shutdown deadline: closing them');
  });
});

/** POST /ingest of one record, written whole, for a RawConnection. */
function ingestRequest(payload: object): string {
  const body = JSON.stringify({ partner_id: 'acme', payload });
  const head = requestHead('POST /ingest HTTP/1.1', {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  return head + body;
}

/** One request on a new connection (no keep-alive pool), resolved with its status, headers and body. */
function fresh(
  port: number,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-type': 'application/json' };
    const sent = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.once('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: text }));
    });
    sent.once('error', reject);
    sent.end(body);
  });
}
