import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ingestBatch, ingestOk, logOrder, Receipt, waitFor } from './support/http';
import { closeAllStreams, SseClient } from './support/sse';
import { createTestApp, createTestDatabase, TestDatabase } from './support/test-app';

jest.setTimeout(60_000);

// Neither the relay nor a stream's fallback poll runs within a test: a record from the other instance arrives through
// PostgreSQL's LISTEN/NOTIFY or not at all.
const ENV = { EVENT_RELAY_POLL_INTERVAL_MS: '60000' };

function ids(records: Array<{ id: string }>): string[] {
  return records.map((record) => record.id);
}

function summaryJson(record: Receipt): string {
  return `{"id":"${record.id}","partner_id":"${record.partner_id}","timestamp":"${record.timestamp}"}`;
}

async function ingestBatchOk(app: NestFastifyApplication, partner: string, count: number): Promise<Receipt[]> {
  const records = Array.from({ length: count }, (_, n) => ({ partner_id: partner, payload: { n } }));
  const response = await ingestBatch(app, { records });
  if (response.statusCode !== 201)
    throw new Error(`POST /ingest/batch answered ${response.statusCode}: ${response.body}`);
  return response.json<{ records: Receipt[] }>().records;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('GET /ingest/stream across two instances on one PostgreSQL', () => {
  let database: TestDatabase;
  let apps: NestFastifyApplication[] = [];
  let urls: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    for (let n = 0; n < 2; n++) {
      const app = await createTestApp(database, { env: ENV });
      apps.push(app);
      await app.listen({ port: 0, host: '127.0.0.1' });
      urls.push(await app.getUrl());
    }
  });

  afterEach(closeAllStreams);

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await database?.remove();
    apps = [];
    urls = [];
  });

  it('shows a client on either instance the records ingested on the other, in log order, within a second of their 201', async () => {
    const streams = [
      await SseClient.open(`${urls[0]}/ingest/stream?partner_id=elsewhere`),
      await SseClient.open(`${urls[1]}/ingest/stream?partner_id=elsewhere`),
    ];
    expect(streams.map((stream) => stream.status)).toEqual([200, 200]);

    const receipts: Receipt[] = [];
    const latencies: number[] = [];
    for (let n = 0; n < 10; n++) {
      const writer = n % 2;
      const receipt = await ingestOk(apps[writer], 'elsewhere', { n });
      const answered = Date.now();
      await streams[1 - writer].waitForEventId(receipt.id, 5_000);
      latencies.push(Date.now() - answered);
      receipts.push(receipt);
    }
    receipts.push(...(await ingestBatchOk(apps[1], 'elsewhere', 20)));
    for (const stream of streams) await stream.waitForEventId(receipts[receipts.length - 1].id, 5_000);
    await pause(50);

    expect(Math.max(...latencies)).toBeLessThan(1_000);
    const log = (await logOrder(apps[0])).filter((record) => record.partner_id === 'elsewhere');
    expect(ids(log).sort()).toEqual(ids(receipts).sort());
    for (const stream of streams) {
      expect(ids(stream.events)).toEqual(ids(log));
      expect(stream.events.map((event) => event.data)).toEqual(log.map(summaryJson));
    }
  });

  it('resumes on the other instance with Last-Event-ID, with no gap and no duplicate while 10 writers use both', async () => {
    const before = (await logOrder(apps[0])).length;
    const first = await SseClient.open(`${urls[0]}/ingest/stream`);
    expect(first.status).toBe(200);

    let writing = true;
    let written = 0;
    const writer = async (w: number) => {
      for (let n = 0; writing; n++) {
        const app = apps[(w + n) % 2];
        const created =
          n % 3 === 2
            ? await ingestBatchOk(app, `writer-${w}`, 2 + (n % 7))
            : [await ingestOk(app, `writer-${w}`, { n })];
        written += created.length;
        await pause(3);
      }
    };
    const writers = Promise.all(Array.from({ length: 10 }, (_, w) => writer(w)));
    try {
      await first.waitForEvents(80, 10_000);
      await first.close();
      const target = written + 40;
      await waitFor(() => written >= target, `${target} records written`, 10_000);

      const second = await SseClient.open(`${urls[1]}/ingest/stream`, { 'last-event-id': first.lastEvent!.id });
      expect(second.status).toBe(200);
      await second.waitForEvents(80, 10_000);
      writing = false;
      await writers;

      const log = (await logOrder(apps[1])).slice(before);
      expect(log).toHaveLength(written);
      await second.waitForEventId(log[log.length - 1].id, 10_000);
      await pause(50);
      expect(ids([...first.events, ...second.events])).toEqual(ids(log));
    } finally {
      writing = false;
      await writers;
    }
  });

  it('serves 20 open streams of one instance without a database connection each', async () => {
    const connections = async () => {
      const [{ n }] = await database.query<{ n: string | number }>(
        'SELECT COUNT(*) AS "n" FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      return Number(n);
    };
    await SseClient.open(`${urls[0]}/ingest/stream?partner_id=idle-0`);
    await pause(200);
    const before = await connections();
    const streams: SseClient[] = [];
    for (let n = 1; n <= 20; n++) streams.push(await SseClient.open(`${urls[0]}/ingest/stream?partner_id=idle-${n}`));
    expect(streams.every((stream) => stream.status === 200)).toBe(true);
    await pause(500);
    expect(await connections()).toBeLessThan(before + 5);

    const receipt = await ingestOk(apps[1], 'idle-20', {});
    await streams[19].waitForEventId(receipt.id, 5_000);
  });
});
