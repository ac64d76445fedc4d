import { Logger } from '@nestjs/common';
import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { LogDataIngestedHandler } from '../src/ingestion/application/events/log-data-ingested.handler';
import { DataIngested } from '../src/ingestion/domain/data-ingested.event';
import { get, ingest, ingestOk, Receipt, settle, waitFor } from './support/http';
import { readRow } from './support/database';
import { recordPublished } from './support/events';
import { metricValue } from './support/metrics';
import { useTestApp } from './support/test-app';

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

describe('DataIngested', () => {
  const context = useTestApp();

  afterEach(() => jest.restoreAllMocks());

  it('reaches the saga, whose command wakes the relay: each record is delivered once, with its payload', async () => {
    const { events, records, subscription } = recordPublished(context.app);
    try {
      const receipts: Receipt[] = [];
      for (let n = 0; n < 5; n++) receipts.push(await ingestOk(context.app, n % 2 === 0 ? 'acme' : 'globex', { n }));
      receipts.push(
        ...(await Promise.all(Array.from({ length: 20 }, (_, n) => ingestOk(context.app, 'burst', { n })))),
      );

      await waitFor(() => events.length >= receipts.length, `${receipts.length} integration events`);
      await settle();
      expect(events).toHaveLength(receipts.length);
      expect([...countBy(events, (event) => event.id).values()].every((count) => count === 1)).toBe(true);
      expect([...events].sort((a, b) => a.id.localeCompare(b.id))).toEqual(
        [...receipts].sort((a, b) => a.id.localeCompare(b.id)),
      );
      for (const record of records) {
        expect(record.payloadJson).toBe((await readRow(context.database, record.id))?.payload);
      }
    } finally {
      subscription.unsubscribe();
    }
  });

  it('reaches the logging listener once per record, with the record ids and no payload', async () => {
    const listener = context.app.get(LogDataIngestedHandler);
    const handle = jest.spyOn(listener, 'handle');
    const logged = jest.spyOn(Logger.prototype, 'log');

    const receipts = await Promise.all(
      Array.from({ length: 10 }, (_, n) => ingestOk(context.app, 'acme', { secret: `do-not-log-${n}` })),
    );
    await waitFor(() => handle.mock.calls.length >= receipts.length, 'the logging listener');
    await settle();

    expect(handle).toHaveBeenCalledTimes(receipts.length);
    const events = handle.mock.calls.map(([event]) => event);
    for (const event of events) expect(event).toBeInstanceOf(DataIngested);
    expect(
      events
        .map((event) => ({ id: event.dataId, partner_id: event.partnerId, timestamp: event.timestamp }))
        .sort((a, b) => a.id.localeCompare(b.id)),
    ).toEqual([...receipts].sort((a, b) => a.id.localeCompare(b.id)));

    const lines = logged.mock.calls.map((call) => String(call[0]));
    for (const receipt of receipts) {
      expect(lines.filter((line) => line.includes(receipt.id))).toHaveLength(1);
    }
    expect(lines.join('\n')).not.toContain('do-not-log');
  });

  it('is published only after the record is committed', async () => {
    // Whether each record was already committed when its event was handled: the read through
    // another connection starts at that moment; its answers are awaited below.
    const committedWhenHandled: Array<Promise<boolean>> = [];
    const listener = context.app.get(LogDataIngestedHandler);
    const original = listener.handle.bind(listener);
    jest.spyOn(listener, 'handle').mockImplementation(async (event: DataIngested) => {
      committedWhenHandled.push(readRow(context.database, event.dataId).then((row) => row !== undefined));
      return original(event);
    });

    await Promise.all(Array.from({ length: 5 }, (_, n) => ingestOk(context.app, 'acme', { n })));
    await waitFor(() => committedWhenHandled.length >= 5, 'the logging listener');

    expect(await Promise.all(committedWhenHandled)).toEqual([true, true, true, true, true]);
  });

  it('is not raised for a rejected request', async () => {
    // The relay may still be delivering the records of the tests before: only records stored before count.
    const stored = new Set((await get(context.app, '/ingest/all')).json<Receipt[]>().map((record) => record.id));
    const { events, subscription } = recordPublished(context.app);
    const handle = jest.spyOn(context.app.get(LogDataIngestedHandler), 'handle');
    try {
      expect((await ingest(context.app, { partner_id: '-bad', payload: {} })).statusCode).toBe(400);
      expect((await ingest(context.app, { partner_id: 'acme', payload: [] })).statusCode).toBe(400);
      expect((await ingest(context.app, { partner_id: 'acme', payload: { x: 'y'.repeat(262_144) } })).statusCode).toBe(
        413,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));

      expect(events.filter((event) => !stored.has(event.id))).toEqual([]);
      expect(handle).not.toHaveBeenCalled();
    } finally {
      subscription.unsubscribe();
    }
  });
});

/** Test-only listeners that fail: one throws synchronously, one rejects. */
@EventsHandler(DataIngested)
class ThrowingDataIngestedListener implements IEventHandler<DataIngested> {
  readonly seen: string[] = [];

  handle(event: DataIngested): void {
    this.seen.push(event.dataId);
    throw new Error(`listener failure for ${event.dataId}`);
  }
}

@EventsHandler(DataIngested)
class RejectingDataIngestedListener implements IEventHandler<DataIngested> {
  readonly seen: string[] = [];

  async handle(event: DataIngested): Promise<void> {
    this.seen.push(event.dataId);
    await Promise.resolve();
    throw new Error(`async listener failure for ${event.dataId}`);
  }
}

describe('a failing DataIngested listener', () => {
  const context = useTestApp({
    providers: [ThrowingDataIngestedListener, RejectingDataIngestedListener],
  });
  let loggedErrors: jest.SpyInstance;

  beforeEach(() => {
    // The EventBus logs each failure at error level; keep the test output readable.
    loggedErrors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it('leaves the 201 intact, the record stored and the other listeners called', async () => {
    const throwing = context.app.get(ThrowingDataIngestedListener);
    const rejecting = context.app.get(RejectingDataIngestedListener);
    const handle = jest.spyOn(context.app.get(LogDataIngestedHandler), 'handle');
    const { events, subscription } = recordPublished(context.app);
    try {
      const response = await ingest(context.app, { partner_id: 'acme', payload: { survives: true } });

      expect(response.statusCode).toBe(201);
      const receipt = response.json<Receipt>();
      await waitFor(
        () => throwing.seen.length === 1 && rejecting.seen.length === 1 && events.length === 1,
        'every listener',
      );
      await settle();

      expect(throwing.seen).toEqual([receipt.id]);
      expect(rejecting.seen).toEqual([receipt.id]);
      expect(handle).toHaveBeenCalledTimes(1);
      expect(events).toEqual([receipt]);
      expect((await readRow(context.database, receipt.id))?.payload).toBe('{"survives":true}');
      expect((await get(context.app, `/ingest/${receipt.id}`)).json()).toEqual({
        ...receipt,
        payload: { survives: true },
      });
    } finally {
      subscription.unsubscribe();
    }
  });

  it('logs and counts each failure, against its event', async () => {
    const all = () => metricValue(context.app, 'event_handler_failures_total');
    const before = await all();

    const receipt = await ingestOk(context.app, 'acme', { counted: true });
    await waitFor(async () => (await all()) >= before + 2, 'two counted failures');
    await settle();

    expect(await all()).toBe(before + 2);
    expect(await metricValue(context.app, 'event_handler_failures_total', { cause: 'DataIngested' })).toBe(before + 2);
    const messages = loggedErrors.mock.calls.map((call) => [String(call[0]), String(call[1])].join(' '));
    expect(messages.filter((message) => message.includes(`listener failure for ${receipt.id}`))).toHaveLength(2);
  });

  it('keeps serving, and keeps delivering to every listener, afterwards', async () => {
    const throwing = context.app.get(ThrowingDataIngestedListener);
    const rejecting = context.app.get(RejectingDataIngestedListener);
    const handle = jest.spyOn(context.app.get(LogDataIngestedHandler), 'handle');
    const { events, subscription } = recordPublished(context.app);
    const seenBefore = throwing.seen.length;
    try {
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, n) => ingest(context.app, { partner_id: 'acme', payload: { n } })),
      );
      expect(responses.map((response) => response.statusCode)).toEqual(Array(20).fill(201));
      const ids = new Set(responses.map((response) => response.json<Receipt>().id));
      const deliveredOfThese = () => events.filter((event) => ids.has(event.id));
      await waitFor(
        () => deliveredOfThese().length === 20 && rejecting.seen.length >= seenBefore + 20,
        'all deliveries',
      );
      await settle();

      expect(throwing.seen.length - seenBefore).toBe(20);
      expect(handle).toHaveBeenCalledTimes(20);
      expect(new Set(deliveredOfThese().map((event) => event.id))).toEqual(ids);
      expect((await get(context.app, '/health/live')).statusCode).toBe(200);
      expect(
        (await get(context.app, '/ingest/partner/acme?limit=1000')).json<Receipt[]>().length,
      ).toBeGreaterThanOrEqual(22);
    } finally {
      subscription.unsubscribe();
    }
  });
});
