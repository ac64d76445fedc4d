import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { connect } from 'nats';
import { countRows, insertRows, seedRows, TEST_DATABASE_KIND } from './support/database';
import { get, ingest, ingestBatch, logOrder, Receipt, waitFor } from './support/http';
import {
  MACHINE_NATS_URL,
  readStream,
  startNatsServer,
  streamMessageCount,
  TestNatsServer,
  waitForStreamMessages,
} from './support/nats';
import { freePort, ServiceProcess, startService, waitUntilReady } from './support/service-process';
import { createTestApp, createTestDatabase, TestDatabase } from './support/test-app';

jest.setTimeout(120_000);

const SUBJECT_PREFIX = 'ingestion.data-ingested.';
const TEST_STREAM_PREFIX = 'INGESTION_TEST_';

const uniqueStream = () => `${TEST_STREAM_PREFIX}${randomBytes(4).toString('hex').toUpperCase()}`;

/** Streams that earlier runs on the machine's NATS left behind would claim the contract's subjects. */
async function removeLeftoverTestStreams(url: string): Promise<void> {
  const connection = await connect({ servers: url });
  try {
    const manager = await connection.jetstreamManager();
    for await (const stream of manager.streams.list()) {
      if (stream.config.name.startsWith(TEST_STREAM_PREFIX)) await manager.streams.delete(stream.config.name);
    }
  } finally {
    await connection.close();
  }
}

async function deleteStream(url: string, stream: string): Promise<void> {
  const connection = await connect({ servers: url });
  try {
    await (await connection.jetstreamManager()).streams.delete(stream).catch(() => undefined);
  } finally {
    await connection.close();
  }
}

const natsSettings = (url: string, stream: string) => ({
  NATS_URL: url,
  NATS_STREAM: stream,
  EVENT_RELAY_POLL_INTERVAL_MS: '100',
});

describe(`delivery to NATS JetStream (${TEST_DATABASE_KIND})`, () => {
  // The machine's NATS for one database's run; the other runs on a server of its own, since two
  // streams may not share the contract's subjects on one server.
  const onMachineNats = TEST_DATABASE_KIND === 'sqlite';
  let own: TestNatsServer | undefined;
  let url: string;
  let stream: string;
  let database: TestDatabase;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    if (onMachineNats) {
      url = MACHINE_NATS_URL;
      await removeLeftoverTestStreams(url);
    } else {
      own = await startNatsServer();
      url = own.url;
    }
    stream = uniqueStream();
    database = await createTestDatabase();
    app = await createTestApp(database, { env: natsSettings(url, stream) });
  });

  afterAll(async () => {
    await app?.close();
    await database?.remove();
    if (onMachineNats) await deleteStream(url, stream);
    await own?.remove();
  });

  it('publishes one message per committed record on its partner subject, in log order, byte for byte', async () => {
    const payload = (n: number) => ({ n, text: `ünï ✓ 🚀 ${n}`, nested: { deep: [1, { big: 1e300 }] }, nul: '\u0000' });
    const singles = await Promise.all(
      Array.from({ length: 400 }, (_, n) =>
        ingest(
          app,
          { partner_id: `acme-${n % 4}`, payload: payload(n) },
          n % 4 === 0 ? { 'idempotency-key': `single-${n}` } : {},
        ),
      ),
    );
    const batch = (offset: number) =>
      Array.from({ length: 300 }, (_, n) => ({ partner_id: `globex.${n % 3}`, payload: payload(offset + n) }));
    const batches = [
      await ingestBatch(app, { records: batch(1000) }),
      await ingestBatch(app, { records: batch(2000) }, { 'idempotency-key': 'batch-1' }),
    ];
    for (const answer of [...singles, ...batches]) expect(answer.statusCode).toBe(201);

    // Retries that replay, and a batch refused whole: no message.
    expect(
      (await ingest(app, { partner_id: 'acme-0', payload: payload(0) }, { 'idempotency-key': 'single-0' })).headers[
        'idempotent-replayed'
      ],
    ).toBe('true');
    expect((await ingestBatch(app, { records: batch(2000) }, { 'idempotency-key': 'batch-1' })).statusCode).toBe(201);
    expect((await ingestBatch(app, { records: [...batch(3000), { partner_id: 'x', payload: [] }] })).statusCode).toBe(
      400,
    );

    await waitForStreamMessages(url, stream, 1_000, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const messages = await readStream(url, stream);
    const log = await logOrder(app);

    expect(log).toHaveLength(1_000);
    expect(messages.map((message) => message.msgId)).toEqual(log.map((record) => record.id));
    for (const [index, message] of messages.entries()) {
      expect(message.subject).toBe(`${SUBJECT_PREFIX}${log[index].partner_id}`);
      expect(message.contentType).toBe('application/json');
      expect(message.body).toBe((await get(app, `/ingest/${message.msgId}`)).body);
    }
  });
});

describe(`delivery while the broker is away (${TEST_DATABASE_KIND})`, () => {
  let broker: TestNatsServer;
  let database: TestDatabase;
  let app: NestFastifyApplication;
  const stream = uniqueStream();

  beforeAll(async () => {
    broker = await startNatsServer();
    database = await createTestDatabase();
    app = await createTestApp(database, { env: natsSettings(broker.url, stream) });
  });

  afterAll(async () => {
    await app?.close();
    await database?.remove();
    await broker?.remove();
  });

  it('answers every ingest while the broker is killed, and publishes each record once when it is back', async () => {
    const ids: string[] = [];
    const wave = async (n: number) => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, k) => ingest(app, { partner_id: `p${k % 3}`, payload: { wave: n, k } })),
      );
      for (const answer of answers) {
        expect(answer.statusCode).toBe(201);
        ids.push(answer.json<Receipt>().id);
      }
    };
    for (let n = 0; n < 10; n++) await wave(n);
    await broker.kill();
    for (let n = 10; n < 30; n++) await wave(n);

    await waitFor(
      async () =>
        (await get(app, '/health/ready')).json<ReadyBody>().details.event_delivery.sink_state === 'unreachable',
      'readiness to report the broker away',
    );
    const ready = await get(app, '/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json<ReadyBody>().details.event_delivery).toMatchObject({ status: 'up', sink_state: 'unreachable' });

    await broker.start();
    await waitForStreamMessages(broker.url, stream, ids.length, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const messages = await readStream(broker.url, stream);
    expect(messages.map((message) => message.msgId).sort()).toEqual([...ids].sort());
    expect(messages.map((message) => message.msgId)).toEqual((await logOrder(app)).map((record) => record.id));
    await waitFor(
      async () => (await get(app, '/health/ready')).json<ReadyBody>().details.event_delivery.sink_state === 'reachable',
      'readiness to report the broker back',
    );
  });
});

interface ReadyBody {
  details: { event_delivery: { status: string; sink_state: string } };
}

describe(`a service killed before it published (${TEST_DATABASE_KIND})`, () => {
  let broker: TestNatsServer;
  let database: TestDatabase;
  let service: ServiceProcess | undefined;
  const stream = uniqueStream();

  beforeAll(async () => {
    broker = await startNatsServer();
    database = await createTestDatabase();
  });

  afterAll(async () => {
    service?.child.kill('SIGKILL');
    await service?.exited;
    await database?.remove();
    await broker?.remove();
  });

  const start = async () => {
    const port = await freePort();
    service = startService({ ...natsSettings(broker.url, stream), DATABASE_URL: database.url, PORT: String(port) });
    await waitUntilReady(service);
    return service;
  };

  it('publishes after a restart what it committed and had not published', async () => {
    await broker.stop();
    const first = await start();
    const ids: string[] = [];
    for (let n = 0; n < 50; n++) {
      const response = await fetch(`${first.url}/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ partner_id: 'killed', payload: { n } }),
      });
      expect(response.status).toBe(201);
      ids.push(((await response.json()) as Receipt).id);
    }
    first.child.kill('SIGKILL');
    await first.exited;

    await broker.start();
    await start();
    await waitForStreamMessages(broker.url, stream, 50, 30_000);
    const messages = await readStream(broker.url, stream);
    expect(messages.map((message) => message.msgId)).toEqual(ids);
    expect(await countRows(database)).toBe(50);
  });
});

describe(`a service stopped (SIGTERM) while it catches up on a backlog (${TEST_DATABASE_KIND})`, () => {
  const BACKLOG = 50_000;
  let broker: TestNatsServer;
  let database: TestDatabase;
  const services: ServiceProcess[] = [];
  const stream = uniqueStream();

  beforeAll(async () => {
    broker = await startNatsServer();
    database = await createTestDatabase();
  });

  afterAll(async () => {
    for (const service of services) service.child.kill('SIGKILL');
    await Promise.all(services.map((service) => service.exited));
    await database?.remove();
    await broker?.remove();
  });

  const start = async () => {
    const port = await freePort();
    const service = startService({
      ...natsSettings(broker.url, stream),
      DATABASE_URL: database.url,
      PORT: String(port),
      SHUTDOWN_DELAY_MS: '0',
    });
    services.push(service);
    await waitUntilReady(service);
    return service;
  };

  it('exits 0 after the page in flight, and the next instance publishes the rest: each record once, in log order', async () => {
    const first = await start();
    const rows = seedRows(BACKLOG, (n) => `backlog-${n % 5}`, new Date());
    await insertRows(database, rows);
    while ((await streamMessageCount(broker.url, stream).catch(() => 0)) === 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const publishedByFirst = await streamMessageCount(broker.url, stream);
    expect(publishedByFirst).toBeLessThan(BACKLOG);

    await start();
    await waitForStreamMessages(broker.url, stream, BACKLOG, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const messages = await readStream(broker.url, stream);
    expect(messages.map((message) => message.msgId)).toEqual(rows.map((row) => row.id));
  });
});
