import { createHash, createHmac } from 'node:crypto';
import { CommandBus } from '@nestjs/cqrs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { CreateApiKeyCommand } from '../src/access/application/commands/create-api-key.command';
import { RevokeApiKeyCommand } from '../src/access/application/commands/revoke-api-key.command';
import type { CreatedApiKeyView } from '../src/access/application/views/api-key.view';
import { TEST_DATABASE_KIND } from './support/database';
import {
  expectProblem,
  get,
  ingest,
  ingestBatch,
  ingestOk,
  ingestRaw,
  JSON_CONTENT_TYPE,
  logOrder,
  Receipt,
  RFC3339_UTC_MS,
  waitFor,
} from './support/http';
import { metricValue } from './support/metrics';
import { closeAllStreams, SseClient, StalledReader } from './support/sse';
import { freezeClockAt } from './support/timing';
import { useTestApp } from './support/test-app';

jest.setTimeout(30_000);

const EVENT_STREAM = 'text/event-stream; charset=utf-8';

/** The data of a record's event without `include=payload`, keys in the contract's order. */
function summaryJson(record: Receipt): string {
  return `{"id":"${record.id}","partner_id":"${record.partner_id}","timestamp":"${record.timestamp}"}`;
}

/** The event block of a record, exactly as the contract spells it. */
function eventBlock(record: Receipt, data = summaryJson(record)): string {
  return `event: data-ingested\nid: ${record.id}\ndata: ${data}\n\n`;
}

function ids(records: Array<{ id: string }>): string[] {
  return records.map((record) => record.id);
}

function bearer(key: CreatedApiKeyView | string): Record<string, string> {
  return { authorization: `Bearer ${typeof key === 'string' ? key : key.key}` };
}

async function ingestBatchOk(
  app: NestFastifyApplication,
  records: Array<{ partner_id: string; payload: Record<string, unknown> }>,
  headers: Record<string, string> = {},
): Promise<Receipt[]> {
  const response = await ingestBatch(app, { records }, headers);
  if (response.statusCode !== 201)
    throw new Error(`POST /ingest/batch answered ${response.statusCode}: ${response.body}`);
  return response.json<{ records: Receipt[] }>().records;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Starts the app's server on a free port of 127.0.0.1 (SSE needs a real connection) and answers its base URL. */
async function listen(app: NestFastifyApplication): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.getUrl();
}

afterEach(closeAllStreams);

describe(`GET /ingest/stream (${TEST_DATABASE_KIND})`, () => {
  const context = useTestApp({ env: { STREAM_HEARTBEAT_MS: '200' } });
  let base: string;
  const open = (path: string, headers: Record<string, string> = {}) => SseClient.open(`${base}${path}`, headers);

  beforeAll(async () => {
    base = await listen(context.app);
  });

  it('delivers each record committed after the connection, in log order: event data-ingested, id = record id, data = the receipt', async () => {
    const earlier = await ingestOk(context.app, 'live-a', { before: true });
    const stream = await open('/ingest/stream');
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe(EVENT_STREAM);
    expect(stream.headers['cache-control']).toBe('no-store');
    expect(stream.headers['x-accel-buffering']).toBe('no');
    expect(stream.headers.connection).toBe('close');
    expect(stream.headers['x-request-id']).toEqual(expect.any(String));

    const receipts: Receipt[] = [];
    for (let n = 0; n < 5; n++) receipts.push(await ingestOk(context.app, n % 2 === 0 ? 'live-a' : 'live-b', { n }));
    receipts.push(
      ...(await ingestBatchOk(context.app, [
        { partner_id: 'live-b', payload: { n: 5 } },
        { partner_id: 'live-a', payload: { n: 6 } },
        { partner_id: 'live-b', payload: { n: 7 } },
      ])),
    );
    const events = await stream.waitForEvents(receipts.length);
    await pause(50);

    expect(stream.text.startsWith('retry: 1000\n\n')).toBe(true);
    expect(stream.parser.retry).toBe(1000);
    expect(ids(stream.events)).toEqual(ids(receipts));
    expect(ids(events)).not.toContain(earlier.id);
    expect(events.map((event) => event.raw)).toEqual(receipts.map((receipt) => eventBlock(receipt)));
    for (const event of events) expect(event.event).toBe('data-ingested');
    const log = await logOrder(context.app);
    expect(ids(log.slice(-receipts.length))).toEqual(ids(events));
  });

  it('streams only the records of ?partner_id=, in log order, while an unfiltered client gets them all', async () => {
    const filtered = await open('/ingest/stream?partner_id=filter-a');
    const everything = await open('/ingest/stream');
    expect([filtered.status, everything.status]).toEqual([200, 200]);

    const receipts: Receipt[] = [];
    for (let n = 0; n < 6; n++)
      receipts.push(await ingestOk(context.app, n % 3 === 0 ? 'filter-a' : 'filter-b', { n }));
    receipts.push(
      ...(await ingestBatchOk(
        context.app,
        Array.from({ length: 10 }, (_, n) => ({ partner_id: n % 2 === 0 ? 'filter-a' : 'filter-b', payload: { n } })),
      )),
    );
    receipts.push(await ingestOk(context.app, 'filter-a', { last: true }));
    const ofA = receipts.filter((receipt) => receipt.partner_id === 'filter-a');

    await everything.waitForEvents(receipts.length);
    await filtered.waitForEventId(ofA[ofA.length - 1].id);
    await pause(50);
    expect(ids(everything.events)).toEqual(ids(receipts));
    expect(filtered.events.map((event) => event.raw)).toEqual(ofA.map((receipt) => eventBlock(receipt)));
  });

  it('with include=payload, sends each payload exactly as GET /ingest/<id> returns it, on one data line', async () => {
    const payloads = [
      '{"escaped":"\\u00e9","plain":"é","slash":"\\/","mixed":"a\\/b/c","quote":"\\"","newline":"a\\nb","cr":"a\\rb","nul":"\\u0000","tab":"\\t"}',
      '{"big":12345678901234567890,"one":1.0,"negativeZero":-0,"exp":1E+2,"tiny":5e-324,"huge":1e400}',
      '{"emoji":"😀👨‍👩‍👧","cjk":"漢字かな","rtl":"مرحبا","separators":"\u2028\u2029","bom":"\uFEFF","combining":"e\u0301"}',
      '{"zebra":1,"apple":{"z":true,"a":false,"m":null},"10":"ten","2":"two","":"empty","list":[{"y":1,"b":2},[],{}]}',
      '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"toString":"x","hasOwnProperty":1}',
      '{ "spaced" :\n [ 1 ,\r\n 2 ] ,\t"nested" : { "k" : null } }',
    ];
    const stream = await open('/ingest/stream?partner_id=bytes&include=payload');
    const receipts: Receipt[] = [];
    for (const payload of payloads) {
      const created = await ingestRaw(context.app, `{"partner_id":"bytes","payload":${payload}}`);
      expect(created.statusCode).toBe(201);
      receipts.push(created.json<Receipt>());
    }
    const events = await stream.waitForEvents(payloads.length);

    expect(ids(events)).toEqual(ids(receipts));
    for (const [index, receipt] of receipts.entries()) {
      const stored = await get(context.app, `/ingest/${receipt.id}`);
      expect(stored.statusCode).toBe(200);
      expect(events[index].data).toBe(stored.body);
      expect(events[index].raw).toBe(eventBlock(receipt, stored.body));
      expect(events[index].data.startsWith(`${summaryJson(receipt).slice(0, -1)},"payload":`)).toBe(true);
    }
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('resumes with Last-Event-ID, then ?after=, then Last-Event-ID over an older ?after=, with no gap and no duplicate while 20 writers ingest', async () => {
    const before = (await logOrder(context.app)).length;
    const first = await open('/ingest/stream');
    expect(first.status).toBe(200);

    const receipts = new Map<string, Receipt>();
    let writing = true;
    let written = 0;
    const writer = async (w: number) => {
      for (let n = 0; writing; n++) {
        const partner = `writer-${w}`;
        const created =
          n % 4 === 3
            ? await ingestBatchOk(
                context.app,
                Array.from({ length: 2 + ((w + n) % 9) }, (_, k) => ({ partner_id: partner, payload: { n, k } })),
              )
            : [await ingestOk(context.app, partner, { n })];
        for (const receipt of created) receipts.set(receipt.id, receipt);
        written += created.length;
        await pause(3);
      }
    };
    const writers = Promise.all(Array.from({ length: 20 }, (_, w) => writer(w)));
    /** Lets more records commit while no client is connected. */
    const whileAway = async () => {
      const target = written + 40;
      await waitFor(() => written >= target, `${target} records written`, 10_000);
    };
    const last = (client: SseClient) => client.lastEvent!.id;

    try {
      await first.waitForEvents(80, 10_000);
      await first.close();
      await whileAway();

      const second = await open('/ingest/stream', { 'last-event-id': last(first) });
      expect(second.status).toBe(200);
      await second.waitForEvents(80, 10_000);
      await second.close();
      await whileAway();

      const third = await open(`/ingest/stream?after=${last(second)}`);
      expect(third.status).toBe(200);
      await third.waitForEvents(80, 10_000);
      await third.close();
      await whileAway();

      const fourth = await open(`/ingest/stream?after=${first.events[0].id}`, { 'last-event-id': last(third) });
      expect(fourth.status).toBe(200);
      await fourth.waitForEvents(80, 10_000);
      writing = false;
      await writers;

      const log = (await logOrder(context.app)).slice(before);
      expect(log).toHaveLength(receipts.size);
      await fourth.waitForEventId(log[log.length - 1].id, 10_000);
      await pause(50);

      const clients = [first, second, third, fourth];
      const received = clients.flatMap((client) => client.events);
      expect(ids(received)).toEqual(ids(log));
      for (const event of received) expect(event.raw).toBe(eventBlock(receipts.get(event.id)!));
    } finally {
      writing = false;
      await writers;
    }
  });

  it.each([
    ['a Last-Event-ID that names no record', { 'last-event-id': uuidv7() }, '', 'Last-Event-ID'],
    [
      'a Last-Event-ID that is a UUID version 4',
      { 'last-event-id': '9b2b7c3e-5f1a-4c1e-9d6a-2f3b4c5d6e7f' },
      '',
      'Last-Event-ID',
    ],
    ['a Last-Event-ID that is not a UUID', { 'last-event-id': 'not-a-uuid' }, '', 'Last-Event-ID'],
    ['an after that names no record', {}, `after=${uuidv7()}`, 'after'],
    ['an after that is not a UUID', {}, 'after=not-a-uuid', 'after'],
    ['an empty after', {}, 'after=', 'after'],
  ])('answers 400 problem+json for %s', async (_case, headers, query, field) => {
    const stream = await open(`/ingest/stream?${query}`, headers);
    expectProblem(await stream.whole(), 400, { fields: [field] });
  });

  it.each([
    ['partner_id=-bad', 'partner_id'],
    [`partner_id=${'a'.repeat(65)}`, 'partner_id'],
    ['include=payloads', 'include'],
    ['include=', 'include'],
    ['verbose=true', 'verbose'],
    ['limit=10', 'limit'],
  ])('answers 400 problem+json for ?%s, naming %s', async (query, field) => {
    const stream = await open(`/ingest/stream?${query}`);
    expectProblem(await stream.whole(), 400, { fields: [field] });
  });

  it('sends a ": ping" comment every STREAM_HEARTBEAT_MS while no record comes', async () => {
    const stream = await open('/ingest/stream?partner_id=quiet');
    const opened = Date.now();
    await stream.waitForComment('ping', 2_000);
    await waitFor(() => stream.comments.length >= 3, 'three heartbeats', 2_000);
    expect(Date.now() - opened).toBeLessThan(1_500);
    expect(stream.text).toMatch(/^retry: 1000\n\n(: ping\n\n){3,}$/);
    expect(stream.events).toEqual([]);
  });

  it('counts open streams in stream_clients and written events in stream_events_sent_total', async () => {
    await waitFor(async () => (await metricValue(context.app, 'stream_clients')) === 0, 'no open stream', 2_000);
    const sentBefore = await metricValue(context.app, 'stream_events_sent_total');
    const first = await open('/ingest/stream?partner_id=metrics');
    const second = await open('/ingest/stream?partner_id=metrics');
    await waitFor(async () => (await metricValue(context.app, 'stream_clients')) === 2, 'two open streams', 2_000);

    for (let n = 0; n < 3; n++) await ingestOk(context.app, 'metrics', { n });
    await ingestOk(context.app, 'not-metrics', {});
    await first.waitForEvents(3);
    await second.waitForEvents(3);
    await waitFor(
      async () => (await metricValue(context.app, 'stream_events_sent_total')) - sentBefore === 6,
      'six events counted',
      2_000,
    );

    await first.close();
    await waitFor(async () => (await metricValue(context.app, 'stream_clients')) === 1, 'one open stream', 2_000);
    await pause(300);
    expect(await metricValue(context.app, 'stream_events_sent_total')).toBe(sentBefore + 6);
  });

  it('while access control is off, POST /ingest/stream/token answers {"token":null,"expires_at":null}', async () => {
    const response = await context.app.inject({ method: 'POST', url: '/ingest/stream/token' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(JSON_CONTENT_TYPE);
    expect(response.body).toBe('{"token":null,"expires_at":null}');
  });
});

describe(`GET /ingest/stream with STREAM_MAX_CLIENTS=2 (${TEST_DATABASE_KIND})`, () => {
  const context = useTestApp({ env: { STREAM_MAX_CLIENTS: '2' } });
  let base: string;

  beforeAll(async () => {
    base = await listen(context.app);
  });

  it('answers the third stream 503 problem+json with Retry-After, and accepts a new one once a stream closed', async () => {
    const first = await SseClient.open(`${base}/ingest/stream`);
    const second = await SseClient.open(`${base}/ingest/stream?partner_id=max`);
    expect([first.status, second.status]).toEqual([200, 200]);

    const third = await (await SseClient.open(`${base}/ingest/stream`)).whole();
    expectProblem(third, 503);
    expect(String(third.headers['retry-after'])).toMatch(/^[1-9][0-9]*$/);
    expect((await get(context.app, '/health/live')).statusCode).toBe(200);

    await first.close();
    let accepted: SseClient | undefined;
    const deadline = Date.now() + 2_000;
    while (accepted === undefined && Date.now() < deadline) {
      const attempt = await SseClient.open(`${base}/ingest/stream?partner_id=max`);
      if (attempt.status === 200) accepted = attempt;
      else await attempt.close().then(() => pause(20));
    }
    expect(accepted?.status).toBe(200);

    const receipt = await ingestOk(context.app, 'max', {});
    await accepted!.waitForEventId(receipt.id);
    await second.waitForEventId(receipt.id);
  });

  it('answers HEAD with the headers of a stream, and keeps no slot for it', async () => {
    await waitFor(async () => (await metricValue(context.app, 'stream_clients')) === 0, 'the streams to close', 2_000);
    for (let i = 0; i < 3; i++) {
      const head = await fetch(`${base}/ingest/stream?partner_id=max`, { method: 'HEAD' });
      expect([head.status, head.headers.get('content-type')]).toEqual([200, EVENT_STREAM]);
    }
    expect(await metricValue(context.app, 'stream_clients')).toBe(0);
  });
});

describe(`GET /ingest/stream with STREAM_MAX_LAG=200 (${TEST_DATABASE_KIND})`, () => {
  const context = useTestApp({ env: { STREAM_MAX_LAG: '200' } });
  let base: string;

  beforeAll(async () => {
    base = await listen(context.app);
  });

  it('keeps a reading client connected through a batch of more records than STREAM_MAX_LAG', async () => {
    const droppedBefore = await metricValue(context.app, 'stream_clients_dropped_total', { reason: 'lag' });
    const reading = await SseClient.open(`${base}/ingest/stream?partner_id=burst`);
    expect(reading.status).toBe(200);
    const receipts = await ingestBatchOk(
      context.app,
      Array.from({ length: 1_000 }, (_, n) => ({ partner_id: 'burst', payload: { n } })),
    );
    await reading.waitForEvents(receipts.length, 10_000);
    expect(ids(reading.events)).toEqual(ids(receipts));
    expect(reading.end).toBeUndefined();
    expect(await metricValue(context.app, 'stream_clients_dropped_total', { reason: 'lag' })).toBe(droppedBefore);
  });

  it('drops a client that stopped reading once it is more than STREAM_MAX_LAG events behind, while a reading client gets every event; the dropped one resumes with Last-Event-ID', async () => {
    const droppedBefore = await metricValue(context.app, 'stream_clients_dropped_total', { reason: 'lag' });
    const reading = await SseClient.open(`${base}/ingest/stream?partner_id=lag`);
    // About 4 KiB an event: the socket buffers between the server and the stalled reader hold some 1,000 of them.
    const stalled = await StalledReader.open(base, '/ingest/stream?partner_id=lag&include=payload');
    expect([reading.status, stalled.status]).toEqual([200, 200]);
    await waitFor(async () => (await metricValue(context.app, 'stream_clients')) === 2, 'two open streams', 2_000);

    const receipts: Receipt[] = [];
    const pad = 'x'.repeat(4_000);
    for (let batch = 0; batch < 25; batch++) {
      receipts.push(
        ...(await ingestBatchOk(
          context.app,
          Array.from({ length: 100 }, (_, n) => ({ partner_id: 'lag', payload: { batch, n, pad } })),
        )),
      );
    }

    await waitFor(
      async () =>
        (await metricValue(context.app, 'stream_clients_dropped_total', { reason: 'lag' })) === droppedBefore + 1,
      'the stalled client to be dropped',
      5_000,
    );
    await waitFor(async () => (await metricValue(context.app, 'stream_clients')) === 1, 'one open stream', 2_000);
    await reading.waitForEvents(receipts.length, 10_000);
    expect(ids(reading.events)).toEqual(ids(receipts));
    expect(reading.end).toBeUndefined();

    // What the stalled client had received before it was dropped is a start of the feed, without a gap.
    expect(await stalled.drain(5_000)).not.toBe('open');
    const got = stalled.events();
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(receipts.length);
    expect(ids(got)).toEqual(ids(receipts.slice(0, got.length)));

    // History caught up on after a reconnection does not count as lag.
    const resumed = await SseClient.open(`${base}/ingest/stream?partner_id=lag&include=payload`, {
      'last-event-id': got[got.length - 1].id,
    });
    expect(resumed.status).toBe(200);
    await resumed.waitForEvents(receipts.length - got.length, 15_000);
    expect(ids(resumed.events)).toEqual(ids(receipts.slice(got.length)));
    expect(await metricValue(context.app, 'stream_clients_dropped_total', { reason: 'lag' })).toBe(droppedBefore + 1);
  });
});

describe(`GET /ingest/stream with access control (${TEST_DATABASE_KIND})`, () => {
  const context = useTestApp();
  let base: string;
  let acme: CreatedApiKeyView;
  let globex: CreatedApiKeyView;
  let admin: CreatedApiKeyView;
  let globexRecord: Receipt;

  const open = (path: string, headers: Record<string, string> = {}) => SseClient.open(`${base}${path}`, headers);
  const createKey = (scope: { admin: true } | { admin: false; partnerId: string }): Promise<CreatedApiKeyView> =>
    context.app.get(CommandBus).execute(new CreateApiKeyCommand(scope, null));
  const ingestAs = async (key: CreatedApiKeyView, partner: string, payload: Record<string, unknown> = {}) => {
    const response = await ingest(context.app, { partner_id: partner, payload }, bearer(key));
    expect(response.statusCode).toBe(201);
    return response.json<Receipt>();
  };
  const requestToken = (headers: Record<string, string>) =>
    context.app.inject({ method: 'POST', url: '/ingest/stream/token', headers });
  const tokenOf = async (key: CreatedApiKeyView): Promise<{ token: string; expires_at: string }> => {
    const response = await requestToken(bearer(key));
    expect(response.statusCode).toBe(200);
    return response.json();
  };
  const expectUnauthenticated = async (client: SseClient) => {
    const response = await client.whole();
    expectProblem(response, 401, { type: 'urn:problem-type:ingestion:unauthenticated' });
    expect(response.headers['www-authenticate']).toBe('Bearer');
  };
  const expectForbidden = async (client: SseClient) => {
    expectProblem(await client.whole(), 403, { type: 'urn:problem-type:ingestion:forbidden' });
  };

  beforeAll(async () => {
    base = await listen(context.app);
    acme = await createKey({ admin: false, partnerId: 'sse-acme' });
    globex = await createKey({ admin: false, partnerId: 'sse-globex' });
    admin = await createKey({ admin: true });
    await waitFor(
      async () => (await get(context.app, '/ingest/all')).statusCode === 401,
      'API keys to be required',
      1_000,
    );
    globexRecord = await ingestAs(globex, 'sse-globex', { before: true });
  });

  afterEach(() => jest.useRealTimers());

  it('refuses a stream without a valid credential: 401 problem+json with WWW-Authenticate: Bearer', async () => {
    await expectUnauthenticated(await open('/ingest/stream'));
    await expectUnauthenticated(await open('/ingest/stream?partner_id=sse-acme'));
    await expectUnauthenticated(await open('/ingest/stream?partner_id=sse-acme', bearer(`ik_${'A'.repeat(43)}`)));
    await expectUnauthenticated(await open('/ingest/stream?partner_id=sse-acme', bearer(acme.key.slice(0, -1))));
    const refusedToken = await requestToken({});
    expectProblem(refusedToken, 401, { type: 'urn:problem-type:ingestion:unauthenticated' });
    expect(refusedToken.headers['www-authenticate']).toBe('Bearer');
  });

  it("lets a partner key stream only its own partner: 403 without partner_id or with another's, 200 with its own", async () => {
    await expectForbidden(await open('/ingest/stream', bearer(acme)));
    await expectForbidden(await open('/ingest/stream?partner_id=sse-globex', bearer(acme)));
    await expectForbidden(await open('/ingest/stream?include=payload', bearer(acme)));

    const own = await open('/ingest/stream?partner_id=sse-acme&include=payload', bearer(acme));
    expect(own.status).toBe(200);
    const mine = await ingestAs(acme, 'sse-acme', { mine: 1 });
    await ingestAs(globex, 'sse-globex', { theirs: 1 });
    const alsoMine = await ingestAs(admin, 'sse-acme', { mine: 2 });
    await own.waitForEventId(alsoMine.id);
    await pause(50);
    expect(ids(own.events)).toEqual([mine.id, alsoMine.id]);
    expect(own.events[0].data).toBe((await get(context.app, `/ingest/${mine.id}`, bearer(acme))).body);
  });

  it("answers 400 to a partner key resuming after another partner's record, as for an unknown id", async () => {
    const viaHeader = await open('/ingest/stream?partner_id=sse-acme', {
      ...bearer(acme),
      'last-event-id': globexRecord.id,
    });
    expectProblem(await viaHeader.whole(), 400, { fields: ['Last-Event-ID'] });
    const viaQuery = await open(`/ingest/stream?partner_id=sse-acme&after=${globexRecord.id}`, bearer(acme));
    expectProblem(await viaQuery.whole(), 400, { fields: ['after'] });
    const own = await open(`/ingest/stream?partner_id=sse-globex&after=${globexRecord.id}`, bearer(globex));
    expect(own.status).toBe(200);
  });

  it('lets an admin key stream every partner', async () => {
    const all = await open('/ingest/stream', bearer(admin));
    expect(all.status).toBe(200);
    const records = [
      await ingestAs(acme, 'sse-acme'),
      await ingestAs(globex, 'sse-globex'),
      await ingestAs(admin, 'sse-initech'),
    ];
    await all.waitForEventId(records[2].id);
    expect(ids(all.events)).toEqual(ids(records));
    const one = await open('/ingest/stream?partner_id=sse-globex', bearer(admin));
    expect(one.status).toBe(200);
  });

  it('issues a 60-second stream token for a key, valid in ?access_token= with the scope of its key', async () => {
    const issuedAt = Date.now();
    const response = await requestToken(bearer(acme));
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(JSON_CONTENT_TYPE);
    const { token, expires_at } = response.json<{ token: string; expires_at: string }>();
    expect(Object.keys(response.json())).toEqual(['token', 'expires_at']);
    expect(token).toMatch(/^st_\S+$/);
    expect(token).not.toContain(acme.key);
    expect(expires_at).toMatch(RFC3339_UTC_MS);
    expect(Date.parse(expires_at) - issuedAt).toBeGreaterThan(55_000);
    expect(Date.parse(expires_at) - issuedAt).toBeLessThanOrEqual(61_000);

    const stream = await open(`/ingest/stream?access_token=${encodeURIComponent(token)}&partner_id=sse-acme`);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe(EVENT_STREAM);
    const mine = await ingestAs(acme, 'sse-acme');
    await ingestAs(globex, 'sse-globex');
    await stream.waitForEventId(mine.id);
    await expectForbidden(await open(`/ingest/stream?access_token=${encodeURIComponent(token)}`));
    await expectForbidden(await open(`/ingest/stream?access_token=${encodeURIComponent(token)}&partner_id=sse-globex`));

    const adminToken = (await tokenOf(admin)).token;
    expect((await open(`/ingest/stream?access_token=${encodeURIComponent(adminToken)}`)).status).toBe(200);
    // The token opens the stream only: no other route takes it.
    expect((await get(context.app, '/ingest/all', bearer(adminToken))).statusCode).toBe(401);
    expect((await get(context.app, '/ingest/partner/sse-acme', bearer(token))).statusCode).toBe(401);
  });

  it('refuses a forged or tampered token, and an API key passed as access_token (401)', async () => {
    const { token } = await tokenOf(acme);
    const middle = Math.floor(token.length / 2);
    const tampered = token.slice(0, middle) + (token[middle] === 'a' ? 'b' : 'a') + token.slice(middle + 1);
    for (const accessToken of [
      `st_${Buffer.alloc(32, 7).toString('base64url')}`,
      tampered,
      'st_',
      acme.key,
      admin.key,
    ]) {
      await expectUnauthenticated(
        await open(`/ingest/stream?access_token=${encodeURIComponent(accessToken)}&partner_id=sse-acme`),
      );
    }
  });

  it("stores only a token's SHA-256, and nothing in the database opens a stream (a stolen backup)", async () => {
    const { token } = await tokenOf(admin);
    const database = context.app.get(DataSource);
    const placeholder = TEST_DATABASE_KIND === 'postgres' ? '$1' : '?';
    const rows = await database.query<Array<{ token_hash: string; api_key_id: string }>>(
      `SELECT "token_hash", "api_key_id" FROM "stream_tokens" WHERE "api_key_id" = ${placeholder}`,
      [admin.id],
    );
    expect(rows).toContainEqual({ token_hash: createHash('sha256').update(token).digest('hex'), api_key_id: admin.id });
    expect(JSON.stringify(rows)).not.toContain(token.slice(3));
    const [{ secret_hash: secretHash }] = await database.query<Array<{ secret_hash: string }>>(
      `SELECT "secret_hash" FROM "api_keys" WHERE "id" = ${placeholder}`,
      [admin.id],
    );
    const expiresAt = Date.now() + 60_000;
    const signedWithStoredHash = createHmac('sha256', Buffer.from(secretHash, 'hex'))
      .update(`stream-token\n${admin.id}\n${expiresAt}`)
      .digest('base64url');

    for (const forged of [
      `st_${admin.id}.${expiresAt}.${signedWithStoredHash}`,
      `st_${signedWithStoredHash}`,
      ...rows.map((row) => `st_${Buffer.from(row.token_hash, 'hex').toString('base64url')}`),
    ]) {
      await expectUnauthenticated(await open(`/ingest/stream?access_token=${encodeURIComponent(forged)}`));
    }
    expect((await open(`/ingest/stream?access_token=${encodeURIComponent(token)}`)).status).toBe(200);
  });

  it('accepts a token until it expires (60 s), and refuses it after', async () => {
    const { token, expires_at } = await tokenOf(acme);
    const url = `/ingest/stream?access_token=${encodeURIComponent(token)}&partner_id=sse-acme`;
    freezeClockAt(new Date(Date.parse(expires_at) - 2_000).toISOString());
    expect((await open(url)).status).toBe(200);
    await closeAllStreams();
    freezeClockAt(new Date(Date.parse(expires_at) + 1_000).toISOString());
    await expectUnauthenticated(await open(url));
  });

  it("ends open streams within 2 s once their key is revoked, and refuses that key's tokens", async () => {
    const revoked = await createKey({ admin: false, partnerId: 'sse-acme' });
    const { token } = await tokenOf(revoked);
    const withKey = await open('/ingest/stream?partner_id=sse-acme', bearer(revoked));
    const withToken = await open(`/ingest/stream?access_token=${encodeURIComponent(token)}&partner_id=sse-acme`);
    const untouched = await open('/ingest/stream?partner_id=sse-acme', bearer(acme));
    expect([withKey.status, withToken.status, untouched.status]).toEqual([200, 200, 200]);

    await context.app.get(CommandBus).execute(new RevokeApiKeyCommand(revoked.id));
    const revokedAt = Date.now();
    expect(await withKey.endedWithin(2_500)).toBeDefined();
    expect(await withToken.endedWithin(2_500)).toBeDefined();
    expect(withKey.endedAt! - revokedAt).toBeLessThan(2_000);
    expect(withToken.endedAt! - revokedAt).toBeLessThan(2_000);
    expect(untouched.end).toBeUndefined();

    await expectUnauthenticated(
      await open(`/ingest/stream?access_token=${encodeURIComponent(token)}&partner_id=sse-acme`),
    );
    await expectUnauthenticated(await open('/ingest/stream?partner_id=sse-acme', bearer(revoked)));
    expect((await requestToken(bearer(revoked))).statusCode).toBe(401);
  });

  it('cuts the connection of a stalled stream whose key is revoked, rather than wait for it to take the end', async () => {
    const stalledKey = await createKey({ admin: false, partnerId: 'sse-stalled' });
    const stalled = await StalledReader.open(
      base,
      '/ingest/stream?partner_id=sse-stalled&include=payload',
      bearer(stalledKey),
    );
    expect(stalled.status).toBe(200);
    // About 10 MB: more than the socket buffers to the stalled reader hold, far fewer events than STREAM_MAX_LAG.
    const pad = 'x'.repeat(4_000);
    for (let batch = 0; batch < 25; batch++) {
      const records = Array.from({ length: 100 }, (_, n) => ({
        partner_id: 'sse-stalled',
        payload: { batch, n, pad },
      }));
      await ingestBatchOk(context.app, records, bearer(stalledKey));
    }
    const connections = () =>
      new Promise<number>((resolve) => context.app.getHttpServer().getConnections((_error, count) => resolve(count)));
    const before = await connections();

    await context.app.get(CommandBus).execute(new RevokeApiKeyCommand(stalledKey.id));

    await waitFor(async () => (await connections()) < before, 'the stalled connection to be cut', 4_000);
  });
});
