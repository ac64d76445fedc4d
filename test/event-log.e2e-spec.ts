import type { DataIngestedIntegrationEvent } from '../src/ingestion/application/ports/data-ingested.integration-event';
import { InProcessIntegrationEventPublisher } from '../src/ingestion/infrastructure/messaging/in-process-integration-event.publisher';
import { recordJson } from '../src/ingestion/infrastructure/http/record-json.serializer';
import { LeasedEventLogRelay } from '../src/ingestion/infrastructure/messaging/leased-event-log.relay';
import { EventLogStore } from '../src/ingestion/infrastructure/persistence/event-log.store';
import { insertRows, seedRows, TEST_DATABASE_KIND } from './support/database';
import { PublishedEvents, recordPublished } from './support/events';
import { get, ingest, ingestBatch, logOrder, Receipt, settle, waitFor } from './support/http';
import { metricValue } from './support/metrics';
import { createTestApp, createTestDatabase, TestDatabase, useTestApp } from './support/test-app';

jest.setTimeout(60_000);

const payloadOf = (n: number) => ({ n, text: `record ${n}`, nested: { unicode: 'ünï ✓ 🚀', big: 1e300 } });

describe(`the event log and its relay (${TEST_DATABASE_KIND})`, () => {
  const context = useTestApp({ env: { EVENT_RELAY_POLL_INTERVAL_MS: '100' } });

  afterEach(() => jest.restoreAllMocks());

  it('delivers every committed record once, in log order, as GET /ingest/<id> returns it', async () => {
    const { records, subscription } = recordPublished(context.app);
    try {
      const singles = await Promise.all(
        Array.from({ length: 60 }, (_, n) =>
          ingest(
            context.app,
            { partner_id: `p-${n % 3}`, payload: payloadOf(n) },
            n % 4 === 0 ? { 'idempotency-key': `single-${n}` } : {},
          ),
        ),
      );
      const batch = Array.from({ length: 300 }, (_, n) => ({ partner_id: `p-${n % 5}`, payload: payloadOf(1000 + n) }));
      const batches = await Promise.all([
        ingestBatch(context.app, { records: batch }),
        ingestBatch(context.app, { records: batch }, { 'idempotency-key': 'batch-1' }),
      ]);
      for (const answer of [...singles, ...batches]) expect(answer.statusCode).toBe(201);

      // Neither a replay nor a rejected batch adds to the log.
      const replayed = await ingest(
        context.app,
        { partner_id: 'p-0', payload: payloadOf(0) },
        { 'idempotency-key': 'single-0' },
      );
      expect(replayed.headers['idempotent-replayed']).toBe('true');
      expect(
        (await ingestBatch(context.app, { records: [...batch, { partner_id: '-bad', payload: {} }] })).statusCode,
      ).toBe(400);

      const log = await logOrder(context.app);
      expect(log).toHaveLength(60 + 600);
      await waitFor(() => records.length >= log.length, `${log.length} deliveries`, 15_000);
      await settle(50);

      expect(records.map((record) => record.id)).toEqual(log.map((record) => record.id));
      for (const record of records.filter((_, index) => index % 37 === 0)) {
        const stored = await get(context.app, `/ingest/${record.id}`);
        expect(recordJson(record)).toBe(stored.body);
      }
      await waitFor(
        async () => (await metricValue(context.app, 'events_published_total')) === log.length,
        'the published count',
      );
      await waitFor(async () => (await metricValue(context.app, 'event_log_pending')) === 0, 'an empty backlog');
      expect(await metricValue(context.app, 'event_relay_active')).toBe(1);
    } finally {
      subscription.unsubscribe();
    }
  });

  it('keeps what it could not deliver, reports its age and the failures, and catches up in order once it can', async () => {
    const publisher = context.app.get(InProcessIntegrationEventPublisher);
    const publish = jest.spyOn(publisher, 'publish').mockRejectedValue(new Error('sink away'));
    const failuresBefore = await metricValue(context.app, 'event_publish_failures_total');
    const before = await logOrder(context.app);

    const held = await Promise.all(
      Array.from({ length: 20 }, (_, n) => ingest(context.app, { partner_id: 'held', payload: { n } })),
    );
    expect(held.map((answer) => answer.statusCode)).toEqual(Array(20).fill(201));
    await waitFor(async () => (await metricValue(context.app, 'event_log_pending')) === 20, '20 pending entries');
    await waitFor(
      async () => (await metricValue(context.app, 'event_log_oldest_pending_age_seconds')) > 0.2,
      'an oldest pending entry older than 0.2 s',
    );
    expect(await metricValue(context.app, 'event_publish_failures_total')).toBeGreaterThan(failuresBefore);
    const ready = await get(context.app, '/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json<{ details: Record<string, unknown> }>().details.event_delivery).toEqual({
      status: 'up',
      sink: 'in-process',
      sink_state: 'reachable',
    });

    publish.mockRestore();
    const { events, subscription } = recordPublished(context.app);
    try {
      await waitFor(() => events.length >= 20, 'the held records', 10_000);
      await settle(50);
      const log = await logOrder(context.app);
      expect(events.map((event) => event.id)).toEqual(log.slice(before.length).map((record) => record.id));
      await waitFor(async () => (await metricValue(context.app, 'event_log_pending')) === 0, 'an empty backlog');
    } finally {
      subscription.unsubscribe();
    }
  });

  it('catches up on a backlog a page at a time, each page in log order', async () => {
    const publisher = context.app.get(InProcessIntegrationEventPublisher);
    const pages: string[][] = [];
    const publish = jest.spyOn(publisher, 'publish').mockRejectedValue(new Error('sink away'));
    await insertRows(
      context.database,
      seedRows(2_500, (n) => `seed-${n % 4}`, new Date()),
    );
    publish.mockImplementation(async (events: readonly DataIngestedIntegrationEvent[]) => {
      pages.push(events.map((event) => event.id));
    });
    context.app.get(LeasedEventLogRelay).wake();

    await waitFor(() => pages.flat().length >= 2_500, '2,500 entries', 20_000);
    const log = await logOrder(context.app);
    expect(pages.flat()).toEqual(log.slice(-2_500).map((record) => record.id));
    expect(Math.max(...pages.map((page) => page.length))).toBeLessThanOrEqual(LeasedEventLogRelay.PAGE_ROWS);
    expect(pages.length).toBeLessThanOrEqual(10);
  });
});

describe(`the relay across restarts (${TEST_DATABASE_KIND})`, () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.remove();
  });

  it('delivers after a restart what the stopped instance committed and could not deliver', async () => {
    const first = await createTestApp(database, { env: { EVENT_RELAY_POLL_INTERVAL_MS: '100' } });
    let ids: string[];
    try {
      jest.spyOn(first.get(InProcessIntegrationEventPublisher), 'publish').mockRejectedValue(new Error('sink away'));
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, n) => ingest(first, { partner_id: 'restart', payload: { n } })),
      );
      ids = answers.map((answer) => answer.json<Receipt>().id);
      await waitFor(async () => (await metricValue(first, 'event_log_pending')) === 30, '30 pending entries');
    } finally {
      await first.close();
      jest.restoreAllMocks();
    }

    // Subscribed before init: the relay starts with the app.
    let recorder: PublishedEvents | undefined;
    const second = await createTestApp(database, {
      env: { EVENT_RELAY_POLL_INTERVAL_MS: '100' },
      beforeConfigure: (app) => (recorder = recordPublished(app)),
    });
    try {
      const { events } = recorder!;
      await waitFor(() => events.length >= 30, 'the 30 records', 10_000);
      expect(events.map((event) => event.id).sort()).toEqual([...ids].sort());
    } finally {
      await second.close();
    }
  });
});

describe(`the relay's cursor (${TEST_DATABASE_KIND})`, () => {
  const context = useTestApp();

  it('moves only for the lease holder: advance answers false to an instance that lost its lease', async () => {
    const log = context.app.get(EventLogStore);
    const sink = 'test-cursor';
    expect(await log.lease(sink, 'holder', 60_000)).toBe(0);
    expect(await log.lease(sink, 'other', 60_000)).toBeUndefined();

    expect(await log.advance(sink, 'other', 5, 60_000)).toBe(false);
    expect(await log.lease(sink, 'holder', 60_000)).toBe(0);
    expect(await log.advance(sink, 'holder', 5, 60_000)).toBe(true);
    expect(await log.lease(sink, 'holder', 60_000)).toBe(5);
  });
});
