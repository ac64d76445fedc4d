import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { TEST_DATABASE_KIND } from './support/database';
import { Receipt, waitFor } from './support/http';
import { parseMetrics, sampleSum } from './support/metrics';
import { RawConnection } from './support/raw-connection';
import { requestHead } from './support/raw-http';
import { freePort, ServiceProcess, startService, waitUntilReady } from './support/service-process';
import { closeAllStreams, SseClient, StalledReader } from './support/sse';
import { createTestDatabase, TestDatabase } from './support/test-app';

jest.setTimeout(60_000);

const MIB = 1024 * 1024;

/** One request on a connection of its own (no keep-alive pool left behind), answered with status and body. */
function send(url: string, method = 'GET', body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-type': 'application/json' };
    const sent = request(url, { method, headers, agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.once('end', () => resolve({ status: response.statusCode!, body: text }));
    });
    sent.once('error', reject);
    sent.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function ingestBatch(base: string, records: Array<{ partner_id: string; payload: unknown }>): Promise<Receipt[]> {
  const response = await send(`${base}/ingest/batch`, 'POST', { records });
  if (response.status !== 201) throw new Error(`POST /ingest/batch answered ${response.status}: ${response.body}`);
  return (JSON.parse(response.body) as { records: Receipt[] }).records;
}

/** Ingests `count` records of `partner` in batches of 1,000 at most and 3 MB, each payload about `payloadBytes` long. */
async function ingestMany(base: string, partner: string, count: number, payloadBytes: number): Promise<Receipt[]> {
  const pad = 'x'.repeat(payloadBytes);
  const batchSize = Math.min(1_000, Math.floor(3_000_000 / (payloadBytes + 50)));
  const receipts: Receipt[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    receipts.push(
      ...(await ingestBatch(
        base,
        Array.from({ length: size }, (_, n) => ({ partner_id: partner, payload: { n: start + n, pad } })),
      )),
    );
  }
  return receipts;
}

async function metric(base: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const response = await send(`${base}/metrics`);
  if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
  return sampleSum(parseMetrics(response.body), name, labels);
}

/**
 * A module for `--require` that runs a full garbage collection on SIGUSR2: the heap is then read without the garbage
 * that V8 lets pile up (tens of MB under this load), which would drown what the stalled readers cost.
 */
const GC_ON_SIGUSR2 = `
const gc = (require('node:v8').setFlagsFromString('--expose-gc'), require('node:vm').runInNewContext('gc'));
process.on('SIGUSR2', () => gc());
`;

interface Memory {
  /** V8 heap in use after a full collection. */
  heap: number;
  /** Resident memory after that collection, and its peak so far (/proc: buffers and native memory included). */
  rss: number;
  peak: number;
}

async function memoryAfterGc(base: string, pid: number): Promise<Memory> {
  process.kill(pid, 'SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const heap = await metric(base, 'nodejs_heap_size_used_bytes');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)![1]) * 1024;
  return { heap, rss: kib('VmRSS'), peak: kib('VmHWM') };
}

describe(`the live feed of the service as a process (${TEST_DATABASE_KIND})`, () => {
  let database: TestDatabase;
  let service: ServiceProcess | undefined;

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await closeAllStreams();
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
    service = undefined;
    await database.remove();
  });

  it('on SIGTERM keeps streaming for SHUTDOWN_DELAY_MS, then ends the streams cleanly (a stalled one too), refuses new ones, and exits 0 well within SHUTDOWN_TIMEOUT_MS', async () => {
    // Long enough for a record ingested after the signal to reach the readers on a busy CI machine.
    const delayMs = 500;
    const port = await freePort();
    service = startService({
      PORT: String(port),
      DATABASE_URL: database.url,
      SHUTDOWN_DELAY_MS: String(delayMs),
      SHUTDOWN_TIMEOUT_MS: '5000',
    });
    await waitUntilReady(service);
    const base = service.url;
    const readers = [
      await SseClient.open(`${base}/ingest/stream?partner_id=goodbye`),
      await SseClient.open(`${base}/ingest/stream`),
    ];
    const stalled = await StalledReader.open(base, '/ingest/stream?include=payload');
    expect([...readers.map((reader) => reader.status), stalled.status]).toEqual([200, 200, 200]);
    // About 6 MB for the stalled reader: more than its socket buffers hold, far fewer events than STREAM_MAX_LAG.
    const filled = await ingestMany(base, 'fill', 1_500, 4_000);
    await readers[1].waitForEventId(filled[filled.length - 1].id, 10_000);
    const gateway = await RawConnection.open(port);
    const statusOf = async (head: string): Promise<number | 'closed'> => {
      gateway.write(head);
      return gateway.response().then(
        (response) => response.status,
        () => 'closed' as const,
      );
    };

    try {
      expect(await statusOf(requestHead('GET /health/live HTTP/1.1'))).toBe(200);
      const exit = service.exited.then((code) => ({ code, at: Date.now() }));
      const signalledAt = Date.now();
      service.child.kill('SIGTERM');
      await waitFor(async () => (await send(`${base}/health/ready`)).status === 503, 'readiness 503', 1_000);

      const late = await send(`${base}/ingest`, 'POST', { partner_id: 'goodbye', payload: { late: true } });
      expect(late.status).toBe(201);
      const lateId = (JSON.parse(late.body) as Receipt).id;
      for (const reader of readers) await reader.waitForEventId(lateId, 1_000);

      expect(await Promise.all(readers.map((reader) => reader.ended))).toEqual(['end', 'end']);
      for (const reader of readers) expect(reader.endedAt! - signalledAt).toBeGreaterThanOrEqual(delayMs - 50);

      const onKept = await statusOf(requestHead('GET /ingest/stream HTTP/1.1', { Accept: 'text/event-stream' }));
      expect([503, 'closed']).toContain(onKept);
      gateway.destroy();
      const fresh = await SseClient.open(`${base}/ingest/stream`).then(
        async (client) => (await client.whole()).statusCode,
        (error: NodeJS.ErrnoException) => error.code,
      );
      expect([503, 'ECONNREFUSED', 'ECONNRESET']).toContain(fresh);

      const { code, at } = await exit;
      expect(code).toBe(0);
      expect(at - signalledAt).toBeLessThan(delayMs + 3_000);
      expect(await stalled.drain(5_000, { keep: false })).not.toBe('open');
    } finally {
      gateway.destroy();
    }
  });

  // Once, on SQLite: the memory of the stream fan-out does not depend on the database.
  if (TEST_DATABASE_KIND === 'sqlite') {
    it('drops 20 stalled readers at STREAM_MAX_LAG and keeps its memory flat while 20,000 events pass them', async () => {
      const readerCount = 20;
      const folder = mkdtempSync(join(tmpdir(), 'stream-memory-'));
      try {
        const preload = join(folder, 'gc-on-sigusr2.js');
        writeFileSync(preload, GC_ON_SIGUSR2);
        service = startService({
          PORT: String(await freePort()),
          DATABASE_URL: database.url,
          STREAM_MAX_LAG: '200',
          NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require ${preload}`].filter(Boolean).join(' '),
        });
        await waitUntilReady(service);
        const base = service.url;
        const pid = service.child.pid!;
        // The same work first, with one client reading: the heap, the database cache and the feed's window of recent
        // entries (shared by every client, bounded) reach their working size.
        const reading = await SseClient.open(`${base}/ingest/stream?partner_id=marker&include=payload`);
        expect(reading.status).toBe(200);
        await ingestMany(base, 'warm-up', 10_000, 1_000);
        const before = await memoryAfterGc(base, pid);

        const readers: StalledReader[] = [];
        for (let n = 0; n < readerCount; n++) {
          readers.push(await StalledReader.open(base, '/ingest/stream?include=payload'));
        }
        expect(readers.every((reader) => reader.status === 200)).toBe(true);
        await waitFor(
          async () => (await metric(base, 'stream_clients')) === readerCount + 1,
          'the readers counted',
          2_000,
        );

        await ingestMany(base, 'past-stalled', 20_000, 1_000);
        await waitFor(
          async () =>
            (await metric(base, 'stream_clients_dropped_total', { reason: 'lag' })) === readerCount &&
            (await metric(base, 'stream_clients')) === 1,
          `the ${readerCount} stalled readers to be dropped`,
          10_000,
        );
        const after = await memoryAfterGc(base, pid);

        // Buffering what the readers missed would take some 20 × 20,000 × 1.1 KB = 440 MB. The bounds on resident
        // memory leave room for what V8 and the allocator keep after a collection (up to 50 MB measured).
        expect((after.heap - before.heap) / MIB).toBeLessThan(16);
        expect((after.rss - before.rss) / MIB).toBeLessThan(96);
        expect((after.peak - before.peak) / MIB).toBeLessThan(160);
        for (const reader of readers) expect(await reader.drain(5_000, { keep: false })).not.toBe('open');
        const [marker] = await ingestMany(base, 'marker', 1, 10);
        await reading.waitForEventId(marker.id);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    });
  }
});
