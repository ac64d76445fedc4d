import { Logger } from '@nestjs/common';
import { createConnection, createServer, Socket } from 'node:net';
import { connect, nanos, StorageType, StreamConfig } from 'nats';
import { v7 as uuidv7 } from 'uuid';
import type { DataIngestedIntegrationEvent } from '../src/ingestion/application/ports/data-ingested.integration-event';
import {
  NatsJetStreamIntegrationEventPublisher,
  NatsJetStreamPublisherOptions,
} from '../src/ingestion/infrastructure/messaging/nats-jetstream-integration-event.publisher';
import { waitFor } from './support/http';
import { readStream, startNatsServer, streamMessageCount, TestNatsServer, waitForStreamMessages } from './support/nats';

jest.setTimeout(30_000);

/** Stored payloads as they may come out of the database: spacing, key order and number spelling must survive. */
const PAYLOADS = [
  '{"z":1,"a":2}',
  '{ "spaced" : [ 1 , 2 ] }',
  '{"text":"h\\u00e9llo \\u0000 wörld 🌍 日本語 \\"quoted\\" \\\\"}',
  '{"big":1e300,"precise":12345678901234567890,"small":-0.000001,"exp":1E-7}',
  '{"nested":{"deeper":{"list":[{"k":null},true,false,[]]},"empty":{}}}',
  '[1,"two",{"three":3}]',
  '"just a string"',
  '42',
];
const PARTNERS = ['acme', 'globex', 'initech-42', 'umbrella_corp'];

const UNREACHABLE_LINE = /is unreachable/;
const REACHABLE_AGAIN_LINE = /is reachable again/;

function eventsFor(count: number, start = Date.parse('2026-01-01T00:00:00.000Z')): DataIngestedIntegrationEvent[] {
  return Array.from({ length: count }, (_, index) => ({
    id: uuidv7(),
    partnerId: PARTNERS[index % PARTNERS.length],
    timestamp: new Date(start + index).toISOString(),
    payloadJson: PAYLOADS[index % PAYLOADS.length],
  }));
}

function expectedBody(event: DataIngestedIntegrationEvent): string {
  return `{"id":"${event.id}","partner_id":"${event.partnerId}","timestamp":"${event.timestamp}","payload":${event.payloadJson}}`;
}

let streamCounter = 0;
function uniqueStream(): string {
  return `INGESTION_TEST_${process.pid}_${++streamCounter}`;
}

async function streamConfig(url: string, stream: string) {
  const connection = await connect({ servers: url });
  try {
    return (await (await connection.jetstreamManager()).streams.info(stream)).config;
  } finally {
    await connection.close();
  }
}

async function addStream(url: string, config: Partial<StreamConfig>) {
  const connection = await connect({ servers: url });
  try {
    await (await connection.jetstreamManager()).streams.add(config);
  } finally {
    await connection.close();
  }
}

/** One server may hold only one stream on the contract's subjects. */
async function deleteAllStreams(url: string) {
  const connection = await connect({ servers: url });
  try {
    const manager = await connection.jetstreamManager();
    for (const name of await manager.streams.names().next()) await manager.streams.delete(name);
  } finally {
    await connection.close();
  }
}

async function publishUntilAccepted(
  publisher: NatsJetStreamIntegrationEventPublisher,
  events: DataIngestedIntegrationEvent[],
) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      return await publisher.publish(events);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A relay that holds each chunk from the server back for `delayMs` (in order): a broker some way off. */
async function startSlowLink(targetPort: number, delayMs: number) {
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => setTimeout(() => client.destroyed || client.write(chunk), delayMs));
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const { port } = relay.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => relay.close(resolve));
    },
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; ms: number }> {
  const started = Date.now();
  const [result] = await Promise.allSettled([work()]);
  return { result, ms: Date.now() - started };
}

// No database here: the spec runs in both e2e projects, each on a nats-server of its own.
describe('NATS JetStream integration event publisher (against a real nats-server)', () => {
  let server: TestNatsServer;
  let publishers: NatsJetStreamIntegrationEventPublisher[] = [];
  let warnings: jest.SpyInstance;
  let infos: jest.SpyInstance;

  const linesOf = (spy: jest.SpyInstance, pattern: RegExp) =>
    spy.mock.calls.map(([message]) => String(message)).filter((message) => pattern.test(message));

  function publisher(options: Partial<NatsJetStreamPublisherOptions> = {}) {
    const created = new NatsJetStreamIntegrationEventPublisher({
      servers: server.url,
      stream: uniqueStream(),
      duplicateWindowS: 600,
      ...options,
    });
    publishers.push(created);
    return created;
  }

  async function connected(options: Partial<NatsJetStreamPublisherOptions> = {}) {
    const created = publisher(options);
    created.connect();
    await waitFor(() => created.state().reachable, 'the publisher to reach NATS', 10_000);
    return created;
  }

  beforeAll(async () => {
    server = await startNatsServer();
  });

  afterAll(async () => {
    await server?.remove();
  });

  beforeEach(() => {
    warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    infos = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    await Promise.all(publishers.map((created) => created.onApplicationShutdown()));
    publishers = [];
    jest.restoreAllMocks();
    await deleteAllStreams(server.url);
  });

  it('creates the stream with the contract subjects, file storage and the duplicate window', async () => {
    const created = await connected({ duplicateWindowS: 90 });
    const stream = created.sink.replace('nats-jetstream:', '');

    expect(created.sink).toBe(`nats-jetstream:${stream}`);
    expect(created.state()).toEqual({ sink: created.sink, reachable: true });
    const config = await streamConfig(server.url, stream);
    expect(config.subjects).toEqual(['ingestion.data-ingested.>']);
    expect(config.storage).toBe(StorageType.File);
    expect(config.duplicate_window).toBe(nanos(90_000));
    expect(warnings).not.toHaveBeenCalled();
  });

  it('updates a stream that exists with other subjects and another duplicate window, in one info line', async () => {
    const stream = uniqueStream();
    await addStream(server.url, {
      name: stream,
      subjects: ['ingestion.data-ingested.>', 'legacy.>'],
      storage: StorageType.File,
      duplicate_window: nanos(60_000),
    });

    await connected({ stream, duplicateWindowS: 600 });

    const config = await streamConfig(server.url, stream);
    expect(config.subjects).toEqual(['ingestion.data-ingested.>']);
    expect(config.duplicate_window).toBe(nanos(600_000));
    expect(linesOf(infos, /Updated the JetStream stream/)).toHaveLength(1);
    expect(warnings).not.toHaveBeenCalled();
  });

  it('warns once, and publishes anyway, when the stream keeps its messages in memory', async () => {
    const stream = uniqueStream();
    await addStream(server.url, {
      name: stream,
      subjects: ['ingestion.data-ingested.>'],
      storage: StorageType.Memory,
      duplicate_window: nanos(600_000),
    });

    const created = await connected({ stream });
    await created.publish(eventsFor(3));

    expect(await streamMessageCount(server.url, stream)).toBe(3);
    expect(linesOf(warnings, /memory storage/)).toHaveLength(1);
  });

  it('stores a page of 1,000 events in order, one message each, body byte for byte; the same page again adds none', async () => {
    const created = await connected();
    const stream = created.sink.replace('nats-jetstream:', '');
    const events = eventsFor(1000);

    await created.publish(events);

    const messages = await readStream(server.url, stream);
    expect(messages).toHaveLength(1000);
    expect(messages.map((message) => message.msgId)).toEqual(events.map((event) => event.id));
    messages.forEach((message, index) => {
      const event = events[index];
      expect(message).toEqual({
        seq: index + 1,
        subject: `ingestion.data-ingested.${event.partnerId}`,
        msgId: event.id,
        contentType: 'application/json',
        body: expectedBody(event),
      });
    });
    // Spliced, not re-encoded: what a JSON parser makes of the body is the stored payload.
    expect(JSON.parse(messages[3].body).payload).toEqual(JSON.parse(PAYLOADS[3]));
    expect(messages[3].body).toContain('"payload":{"big":1e300,"precise":12345678901234567890,');

    await created.publish(events);
    await created.publish(events.slice(10, 20));
    expect(await streamMessageCount(server.url, stream)).toBe(1000);
  });

  it('keeps acknowledgements in flight: 1,000 events over a link with 20 ms latency take far less than 1,000 round trips', async () => {
    const slowLink = await startSlowLink(server.port, 20);
    try {
      const created = await connected({ servers: slowLink.url });
      const events = eventsFor(1000);

      const { result, ms } = await timed(() => created.publish(events));

      expect(result.status).toBe('fulfilled');
      expect(ms).toBeLessThan(5_000);
      const messages = await readStream(server.url, created.sink.replace('nats-jetstream:', ''));
      expect(messages.map((message) => message.msgId)).toEqual(events.map((event) => event.id));
    } finally {
      await slowLink.close();
    }
  });

  it('publishes an empty page without storing anything', async () => {
    const created = await connected();
    await created.publish([]);
    expect(await streamMessageCount(server.url, created.sink.replace('nats-jetstream:', ''))).toBe(0);
  });

  describe('with a broker of its own', () => {
    let broker: TestNatsServer;

    beforeEach(async () => {
      broker = await startNatsServer();
    });

    afterEach(async () => {
      await Promise.all(publishers.map((created) => created.onApplicationShutdown()));
      publishers = [];
      await broker.remove();
    });

    it('broker down at start: connect returns, publish rejects at once; once it is up, publishing works', async () => {
      await broker.stop();
      const created = publisher({ servers: broker.url });
      const stream = created.sink.replace('nats-jetstream:', '');

      const { ms: connectMs } = await timed(async () => created.connect());
      expect(connectMs).toBeLessThan(200);
      await waitFor(() => warnings.mock.calls.length > 0, 'the unreachable warning');
      const { result, ms } = await timed(() => created.publish(eventsFor(5)));
      expect(result.status).toBe('rejected');
      expect(ms).toBeLessThan(250);
      expect(created.state()).toEqual({ sink: created.sink, reachable: false, detail: expect.any(String) });
      expect(linesOf(warnings, UNREACHABLE_LINE)).toEqual([expect.stringContaining(`127.0.0.1:${broker.port}`)]);
      // Several more failed attempts to connect, still one line.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect(warnings).toHaveBeenCalledTimes(1);

      await broker.start();
      const events = eventsFor(20);
      await publishUntilAccepted(created, events);

      await waitForStreamMessages(broker.url, stream, 20, 5_000);
      expect(created.state()).toEqual({ sink: created.sink, reachable: true });
      expect(warnings).toHaveBeenCalledTimes(1);
      expect(linesOf(infos, REACHABLE_AGAIN_LINE)).toHaveLength(1);
    });

    it('broker killed and restarted on its store: rejects while down, delivers after, one line each way', async () => {
      const created = await connected({ servers: broker.url });
      const stream = created.sink.replace('nats-jetstream:', '');
      const before = eventsFor(50);
      await created.publish(before);
      warnings.mockClear();
      infos.mockClear();

      await broker.kill();
      await waitFor(() => !created.state().reachable, 'the publisher to notice the outage', 5_000);
      const during = eventsFor(50, Date.parse('2026-01-02T00:00:00.000Z'));
      for (let attempt = 0; attempt < 10; attempt++) {
        const { result, ms } = await timed(() => created.publish(during));
        expect(result.status).toBe('rejected');
        expect(ms).toBeLessThan(250);
      }
      expect(created.state()).toMatchObject({ reachable: false, detail: expect.any(String) });

      await broker.start();
      await publishUntilAccepted(created, during);
      await created.publish(before);

      await waitForStreamMessages(broker.url, stream, 100, 5_000);
      const messages = await readStream(broker.url, stream);
      expect(messages.map((message) => message.msgId)).toEqual([...before, ...during].map((event) => event.id));
      expect(created.state()).toEqual({ sink: created.sink, reachable: true });
      expect(linesOf(warnings, UNREACHABLE_LINE)).toEqual([expect.stringContaining(`127.0.0.1:${broker.port}`)]);
      expect(warnings).toHaveBeenCalledTimes(1);
      expect(linesOf(infos, REACHABLE_AGAIN_LINE)).toHaveLength(1);
      expect(infos).toHaveBeenCalledTimes(1);
    });

    it('shuts down promptly while the broker is down, connected before or not', async () => {
      const connectedBefore = await connected({ servers: broker.url });
      await broker.stop();
      const neverConnected = publisher({ servers: broker.url });
      neverConnected.connect();
      await waitFor(() => !connectedBefore.state().reachable, 'the publisher to notice the outage', 5_000);

      const shutdowns = await Promise.all(
        [connectedBefore, neverConnected].map((created) => timed(() => created.onApplicationShutdown())),
      );

      for (const { result, ms } of shutdowns) {
        expect(result.status).toBe('fulfilled');
        expect(ms).toBeLessThan(1_500);
      }
      // Nothing reconnects behind the test's back once the broker is back.
      await broker.start();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await expect(connectedBefore.publish(eventsFor(1))).rejects.toThrow();
      await expect(neverConnected.publish(eventsFor(1))).rejects.toThrow();
    });

    it('shuts down promptly while connected', async () => {
      const created = await connected({ servers: broker.url });
      await created.publish(eventsFor(5));

      const { result, ms } = await timed(() => created.onApplicationShutdown());

      expect(result.status).toBe('fulfilled');
      expect(ms).toBeLessThan(2_000);
      await expect(created.publish(eventsFor(1))).rejects.toThrow();
    });
  });
});
