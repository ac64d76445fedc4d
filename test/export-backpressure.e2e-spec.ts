import { Logger } from '@nestjs/common';
import { Agent, request } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { PinoLogger } from 'nestjs-pino';
import { DataSource, QueryRunner } from 'typeorm';
import { insertRows, seedRows, TEST_DATABASE_KIND, TestDatabase } from './support/database';
import { waitFor } from './support/http';
import { MetricSample, sampleSum, scrapeMetrics } from './support/metrics';
import { TestAppContext, useTestApp } from './support/test-app';

jest.setTimeout(60_000);

/** Big enough that a paused client's socket buffers fill long before the export ends. */
const BULK_ROWS = 100_000;
/** Rows of a partner of their own: a streamed list that costs nothing to read. */
const FEW_ROWS = 5;
const POOL_SIZE = 4;
/** The default: half of DATABASE_POOL_SIZE. */
const EXPORT_LIMIT = 2;
const STALL_TIMEOUT_MS = 1000;
/**
 * The worst wait for /health/live or POST /ingest while exports stream. Generous (a chunk takes a few ms; a busy
 * shared machine and the test process's own garbage collection add hundreds), yet well under the 1.25 s and more
 * that a probe waited before exports took turns.
 */
const PROBE_BOUND_MS = 750;

const INGEST_BODY = JSON.stringify({ partner_id: 'during-export', payload: { n: 1 } });

interface LogCall {
  level: 'info' | 'warn' | 'error';
  line: Record<string, unknown>;
  msg: string;
}

/** Records what the request log writes (through PinoLogger.root) instead of writing it. */
function captureLog(): LogCall[] {
  const calls: LogCall[] = [];
  for (const level of ['info', 'warn', 'error'] as const) {
    jest.spyOn(PinoLogger.root, level).mockImplementation(((line: unknown, msg?: string) => {
      if (typeof line === 'object' && line !== null) {
        calls.push({ level, line: line as Record<string, unknown>, msg: msg ?? '' });
      }
    }) as never);
  }
  return calls;
}

const incompleteLines = (calls: LogCall[], outcome: string) => calls.filter((call) => call.line.outcome === outcome);

function incompleteCount(samples: MetricSample[], outcome: string): number {
  return sampleSum(samples, 'http_responses_incomplete_total', {
    method: 'GET',
    route: '/ingest/all',
    status: '200',
    outcome,
  });
}

/** One GET on a TCP connection of its own, read byte by byte as it arrives. */
interface RawExchange {
  status: number;
  head: string;
  socket: Socket;
  /** Once the connection closed: the body, and whether a chunked body ended with its last chunk. */
  closed: Promise<{ body: string; complete: boolean }>;
}

/** Resolves once the response head is in; with `pause`, the client then reads nothing more (a stalled reader). */
function rawGet(port: number, path: string, pause = false): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    let head: string | undefined;
    let received = Buffer.alloc(0);
    const firstBodyBytes: Buffer[] = [];
    let tail = '';
    let onClosed!: (value: { body: string; complete: boolean }) => void;
    const closed = new Promise<{ body: string; complete: boolean }>((done) => (onClosed = done));
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      if (head === undefined) {
        received = Buffer.concat([received, data]);
        const end = received.indexOf('\r\n\r\n');
        if (end === -1) return;
        head = received.subarray(0, end).toString('latin1');
        data = received.subarray(end + 4);
        if (pause) socket.pause();
        resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), head, socket, closed });
      }
      if (firstBodyBytes.length < 16) firstBodyBytes.push(data);
      tail = (tail + data.toString('latin1')).slice(-5);
    });
    socket.on('close', () => {
      if (head === undefined) reject(new Error(`the connection closed before the response to GET ${path}`));
      onClosed({ body: Buffer.concat(firstBodyBytes).toString('utf8'), complete: tail === '0\r\n\r\n' });
    });
  });
}

function headerOf(exchange: RawExchange, name: string): string | undefined {
  return new RegExp(`^${name}: *(.*)$`, 'im').exec(exchange.head)?.[1].trim();
}

/** A 503 problem+json with Retry-After, sent whole (no chunked body begun) */
async function expectRefusedBeforeFirstByte(exchange: RawExchange, type: RegExp): Promise<void> {
  expect(exchange.status).toBe(503);
  expect(headerOf(exchange, 'content-type')).toMatch(/^application\/problem\+json/);
  expect(headerOf(exchange, 'retry-after')).toBe('1');
  expect(headerOf(exchange, 'transfer-encoding')).toBeUndefined();
  const { body } = await exchange.closed;
  expect(JSON.parse(body)).toEqual(expect.objectContaining({ status: 503, type: expect.stringMatching(type) }));
}

/** The app's pooled connections inside a transaction that waits for its client (PostgreSQL). */
async function idleInTransaction(database: TestDatabase): Promise<number> {
  const [{ n }] = await database.query<{ n: string }>(
    `SELECT COUNT(*) AS "n" FROM pg_stat_activity WHERE "datname" = current_database()
       AND "application_name" = 'ingestion-service' AND "state" = 'idle in transaction'`,
  );
  return Number(n);
}

/** Makes the second chunk read of a streamed list throw (a SELECT past `seq` on SQLite, a FETCH on PostgreSQL). */
function failSecondListRead(dataSource: DataSource): void {
  const prototype = Object.getPrototypeOf(dataSource.createQueryRunner()) as QueryRunner;
  const original = prototype.query;
  let reads = 0;
  jest.spyOn(prototype, 'query').mockImplementation(function (
    this: QueryRunner,
    ...args: Parameters<QueryRunner['query']>
  ) {
    // The relay's reads of the event log also say `"seq" > ?`; theirs are paged by bytes (`bytes_before`).
    if (/^\s*FETCH\b/i.test(args[0]) || (/"seq" > \?/.test(args[0]) && !args[0].includes('bytes_before'))) {
      reads += 1;
      if (reads === 2) return Promise.reject(new Error('injected read failure'));
    }
    return original.apply(this, args);
  });
}

interface ExportFixture {
  context: TestAppContext;
  port(): number;
  log(): LogCall[];
  openExport(path: string, pause?: boolean): Promise<RawExchange>;
}

/**
 * An app on a listening socket, seeded with BULK_ROWS records of `bulk` and FEW_ROWS of
 * `few`, its request log captured. After each test, the test's connections are closed and
 * the export slots are free again.
 */
function useExportApp(env: Record<string, string>): ExportFixture {
  const context = useTestApp({ env: { LOG_LEVEL: 'info', DATABASE_POOL_SIZE: String(POOL_SIZE), ...env } });
  const sockets: Socket[] = [];
  let port = 0;
  let log: LogCall[] = [];

  beforeAll(async () => {
    const start = new Date('2026-01-01T00:00:00.000Z');
    await insertRows(context.database, [
      ...seedRows(FEW_ROWS, 'few', start),
      ...seedRows(BULK_ROWS, 'bulk', new Date(start.getTime() + 1000)),
    ]);
    await context.app.listen({ port: 0, host: '127.0.0.1' });
    port = (context.app.getHttpServer().address() as AddressInfo).port;
  });

  beforeEach(() => {
    log = captureLog();
  });

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    jest.restoreAllMocks();
    await waitFor(async () => {
      const lists = await Promise.all(
        Array.from({ length: EXPORT_LIMIT }, () => context.app.inject({ method: 'GET', url: '/ingest/partner/few' })),
      );
      return lists.every((list) => list.statusCode === 200);
    }, 'every export slot to be free again');
  });

  return {
    context,
    port: () => port,
    log: () => log,
    openExport: async (path, pause = false) => {
      const exchange = await rawGet(port, path, pause);
      sockets.push(exchange.socket);
      return exchange;
    },
  };
}

describe('streamed exports: fast readers, stalled readers, failures', () => {
  const fixture = useExportApp({
    DATABASE_CONNECT_TIMEOUT_MS: '1000',
    EXPORT_STALL_TIMEOUT_MS: String(STALL_TIMEOUT_MS),
  });
  const { context } = fixture;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  afterAll(() => agent.destroy());

  /** One request over a kept-alive connection; resolves to the status once the body is in. */
  function probe(method: string, path: string, body?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const outgoing = request({ host: '127.0.0.1', port: fixture.port(), method, path, agent }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
      });
      outgoing.on('error', reject);
      if (body !== undefined) outgoing.setHeader('content-type', 'application/json');
      outgoing.end(body);
    });
  }

  /**
   * A full export read by a client that takes every byte the moment it is written (app.inject:
   * nothing ever pushes back) and keeps none: its status and how many records came (`}`s).
   */
  async function readExport(url: string): Promise<{ status: number; records: number }> {
    const response = await context.app.inject({ method: 'GET', url, payloadAsStream: true });
    let records = 0;
    for await (const data of response.stream() as AsyncIterable<Buffer>) {
      for (let at = data.indexOf(0x7d); at !== -1; at = data.indexOf(0x7d, at + 1)) records++;
    }
    return { status: response.statusCode, records };
  }

  it('while full exports stream to readers that never push back, /health/live and POST /ingest keep answering promptly', async () => {
    const exports = Promise.all(Array.from({ length: POOL_SIZE }, () => readExport('/ingest/all')));
    let exporting = true;
    const stopProbing = () => (exporting = false);
    exports.then(stopProbing, stopProbing);

    const worstMs = { live: 0, ingest: 0 };
    const statuses = new Set<number>();
    let probes = 0;
    while (exporting) {
      let started = performance.now();
      statuses.add(await probe('GET', '/health/live'));
      worstMs.live = Math.max(worstMs.live, Math.round(performance.now() - started));
      started = performance.now();
      statuses.add(await probe('POST', '/ingest', INGEST_BODY));
      worstMs.ingest = Math.max(worstMs.ingest, Math.round(performance.now() - started));
      probes += 1;
    }
    const results = await exports;

    // Before: an export held the event loop from its first row to its last (SQLite), or every
    // pooled connection was an export's (PostgreSQL); a probe waited seconds.
    expect({ statuses: [...statuses].sort(), probes, worstMs }).toEqual({
      statuses: [200, 201],
      probes: expect.any(Number),
      worstMs: { live: expect.any(Number), ingest: expect.any(Number) },
    });
    expect(Math.max(worstMs.live, worstMs.ingest)).toBeLessThan(PROBE_BOUND_MS);
    // Each export streamed to its end (the probes' records committed before it began are in
    // it too), or was refused before its first byte (past the limit).
    expect(
      results
        .filter((result) => result.status === 200)
        .map((result) => ({ status: result.status, whole: result.records >= BULK_ROWS + FEW_ROWS })),
    ).toEqual(Array(EXPORT_LIMIT).fill({ status: 200, whole: true }));
    expect(results.filter((result) => result.status !== 200).map((result) => result.status)).toEqual(
      Array(POOL_SIZE - EXPORT_LIMIT).fill(503),
    );
  });

  it('stalled readers leave ingestion its connections, are cut off after EXPORT_STALL_TIMEOUT_MS, and give back their connection and slot', async () => {
    const metricsBefore = await scrapeMetrics(context.app);
    // As many readers as the pool has connections, each reading nothing past the head.
    const readers = await Promise.all(Array.from({ length: POOL_SIZE }, () => fixture.openExport('/ingest/all', true)));
    const pausedAt = performance.now();
    const stalled = readers.filter((reader) => reader.status === 200);
    expect(stalled).toHaveLength(EXPORT_LIMIT);
    for (const refused of readers.filter((reader) => reader.status !== 200)) {
      await expectRefusedBeforeFirstByte(refused, /export-limit-reached$/);
    }

    const created = await context.app.inject({
      method: 'POST',
      url: '/ingest',
      headers: { 'content-type': 'application/json' },
      payload: INGEST_BODY,
    });
    expect(created.statusCode).toBe(201);
    expect((await context.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    if (context.database.kind === 'postgres') {
      await waitFor(
        async () => (await idleInTransaction(context.database)) === EXPORT_LIMIT,
        'the stalled exports to wait in their transactions',
      );
    }

    await waitFor(
      () => incompleteLines(fixture.log(), 'stalled').length === EXPORT_LIMIT,
      'the stalled readers to be cut off',
      STALL_TIMEOUT_MS + 5000,
    );
    const cutAfterMs = performance.now() - pausedAt;
    expect(cutAfterMs).toBeGreaterThanOrEqual(STALL_TIMEOUT_MS);
    expect(cutAfterMs).toBeLessThan(STALL_TIMEOUT_MS + 4000);
    expect(fixture.log().filter((call) => 'outcome' in call.line)).toEqual(
      Array(EXPORT_LIMIT).fill({
        level: 'warn',
        line: expect.objectContaining({
          method: 'GET',
          route: '/ingest/all',
          path: '/ingest/all',
          status: 200,
          durationMs: expect.any(Number),
          outcome: 'stalled',
        }),
        msg: 'GET /ingest/all 200 stalled',
      }),
    );
    if (context.database.kind === 'postgres') {
      await waitFor(async () => (await idleInTransaction(context.database)) === 0, 'their connections to be released');
    }
    // Reading again, a stalled client gets what was already on its way, then a body cut short.
    for (const reader of stalled) {
      reader.socket.resume();
      expect((await reader.closed).complete).toBe(false);
    }
    const metrics = await scrapeMetrics(context.app);
    expect(incompleteCount(metrics, 'stalled') - incompleteCount(metricsBefore, 'stalled')).toBe(EXPORT_LIMIT);
  });

  it('a stream that fails after its first byte is cut off, logged at error with outcome failed, and counted', async () => {
    const metricsBefore = await scrapeMetrics(context.app);
    failSecondListRead(context.app.get(DataSource));

    const exchange = await fixture.openExport('/ingest/all');
    expect(exchange.status).toBe(200);
    const { body, complete } = await exchange.closed;

    expect({ started: body.includes('{"id":'), complete }).toEqual({ started: true, complete: false });
    await waitFor(() => incompleteLines(fixture.log(), 'failed').length === 1, 'the line of the failed stream');
    expect(fixture.log().filter((call) => 'outcome' in call.line)).toEqual([
      {
        level: 'error',
        line: expect.objectContaining({ route: '/ingest/all', status: 200, outcome: 'failed' }),
        msg: 'GET /ingest/all 200 failed',
      },
    ]);
    const metrics = await scrapeMetrics(context.app);
    expect(incompleteCount(metrics, 'failed') - incompleteCount(metricsBefore, 'failed')).toBe(1);
    if (context.database.kind === 'postgres') {
      await waitFor(async () => (await idleInTransaction(context.database)) === 0, 'its connection to be released');
    }
  });
});

describe('streamed exports: the limit per instance', () => {
  const fixture = useExportApp({});
  const { context } = fixture;

  it('past DATABASE_EXPORT_CONNECTIONS a list gets 503 problem+json with Retry-After before its first byte; a client that goes away frees its slot', async () => {
    const errorLogs = jest.spyOn(Logger.prototype, 'error');
    const held = [await fixture.openExport('/ingest/all', true), await fixture.openExport('/ingest/all', true)];
    expect(held.map((exchange) => exchange.status)).toEqual([200, 200]);

    await expectRefusedBeforeFirstByte(await fixture.openExport('/ingest/all'), /export-limit-reached$/);
    await expectRefusedBeforeFirstByte(await fixture.openExport('/ingest/partner/few'), /export-limit-reached$/);
    // Refusing an export keeps the service up; it is no failure (the request line says 503 at warn).
    expect(errorLogs).not.toHaveBeenCalled();
    // Pages are not streamed exports: still served.
    expect((await context.app.inject({ method: 'GET', url: '/ingest/all?limit=2' })).statusCode).toBe(200);

    held[0].socket.destroy();
    await waitFor(
      async () => (await context.app.inject({ method: 'GET', url: '/ingest/partner/few' })).statusCode === 200,
      'the slot of the client that went away',
    );
    await waitFor(() => incompleteLines(fixture.log(), 'client-closed').length === 1, 'its log line');
    expect(fixture.log().filter((call) => 'outcome' in call.line)).toEqual([
      {
        level: 'info',
        line: expect.objectContaining({ route: '/ingest/all', status: 200, outcome: 'client-closed' }),
        msg: 'GET /ingest/all 200 client-closed',
      },
    ]);
    // The other held list may already have read its last chunk into the kernel's socket buffers
    // (loopback buffers grow to megabytes) and closed its transaction: at most one is left.
    if (context.database.kind === 'postgres') expect(await idleInTransaction(context.database)).toBeLessThanOrEqual(1);
  });
});

if (TEST_DATABASE_KIND === 'postgres') {
  describe('streamed exports on PostgreSQL: no connection to be had', () => {
    const context = useTestApp({
      env: {
        DATABASE_POOL_SIZE: '2',
        DATABASE_EXPORT_CONNECTIONS: '3',
        DATABASE_CONNECT_TIMEOUT_MS: '500',
      },
    });

    it('an export that waits for a pooled connection in vain gets 503 before its first byte, never a 200 cut after its head', async () => {
      await insertRows(context.database, seedRows(BULK_ROWS, 'bulk', new Date('2026-01-01T00:00:00.000Z')));
      await context.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = context.app.getHttpServer().address() as AddressInfo;

      const exchanges = await Promise.all(Array.from({ length: 3 }, () => rawGet(port, '/ingest/all', true)));
      try {
        expect(exchanges.map((exchange) => exchange.status).sort()).toEqual([200, 200, 503]);
        await expectRefusedBeforeFirstByte(
          exchanges.find((exchange) => exchange.status === 503)!,
          /storage-unavailable$/,
        );
      } finally {
        for (const exchange of exchanges) exchange.socket.destroy();
      }
    });
  });
}
