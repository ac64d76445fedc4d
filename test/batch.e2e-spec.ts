import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { LogDataIngestedHandler } from '../src/ingestion/application/events/log-data-ingested.handler';
import type { DataIngested } from '../src/ingestion/domain/data-ingested.event';
import { recordPublished } from './support/events';
import {
  expectProblem,
  get,
  ingestBatch,
  ingestBatchRaw,
  JSON_CONTENT_TYPE,
  Receipt,
  RFC3339_UTC_MS,
  settle,
  StoredRecord,
  UUID_V7,
  waitFor,
} from './support/http';
import { countRows, installInsertFault, readRow } from './support/database';
import { createTestApp, createTestDatabase, useTestApp } from './support/test-app';

const DEFAULT_MAX_BATCH_RECORDS = 1000;
const DEFAULT_MAX_BATCH_BYTES = 4_194_304;
const PROBLEM_TYPE = (code: string) => new RegExp(`${code}$`);

interface BatchReceipt {
  records: Receipt[];
}

interface BatchRecord {
  partner_id: string;
  payload: Record<string, unknown>;
}

/** A partner id no other test uses, so that per-partner lists and counts belong to one test. */
function uniquePartner(prefix = 'p'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** `count` records of `partnerId` (or one partner per index) with payloads `{"n": index}`. */
function batchOf(count: number, partnerId: string | ((index: number) => string)): BatchRecord[] {
  return Array.from({ length: count }, (_, n) => ({
    partner_id: typeof partnerId === 'string' ? partnerId : partnerId(n),
    payload: { n },
  }));
}

/** A raw batch body of exactly `bytes` bytes holding one small record: the rest is whitespace. */
function paddedBatchBody(bytes: number, partnerId: string): string {
  const head = `{"records":[{"partner_id":"${partnerId}","payload":{"padded":true}}]`;
  const body = head + ' '.repeat(bytes - head.length - 1) + '}';
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}

function fieldsOf(problem: Record<string, unknown>): string[] {
  return ((problem.errors ?? []) as Array<{ field: string }>).map((error) => error.field).sort();
}

/** Posts the batch, expects a 201, and answers the receipts. */
async function batchOk(app: NestFastifyApplication, records: unknown[]): Promise<Receipt[]> {
  const response = await ingestBatch(app, { records });
  if (response.statusCode !== 201) {
    throw new Error(`POST /ingest/batch answered ${response.statusCode}: ${response.body}`);
  }
  return response.json<BatchReceipt>().records;
}

describe('POST /ingest/batch', () => {
  const context = useTestApp();

  afterEach(() => jest.restoreAllMocks());

  describe('201 Created', () => {
    it('answers {"records": [{id, partner_id, timestamp}, ...]} in request order, without Location', async () => {
      const acme = uniquePartner('acme');
      const globex = uniquePartner('globex');
      const records: BatchRecord[] = [
        { partner_id: acme, payload: { n: 0 } },
        { partner_id: globex, payload: { n: 1, nested: { z: true, a: [1, 2] } } },
        { partner_id: acme, payload: {} },
      ];
      const before = Date.now();
      const response = await ingestBatch(context.app, { records });
      const after = Date.now();

      expect(response.statusCode).toBe(201);
      expect(response.headers['content-type']).toMatch(JSON_CONTENT_TYPE);
      expect(response.headers.location).toBeUndefined();
      const body = response.json<BatchReceipt>();
      expect(Object.keys(body)).toEqual(['records']);
      expect(body.records).toHaveLength(3);
      expect(body.records.map((receipt) => receipt.partner_id)).toEqual([acme, globex, acme]);
      for (const receipt of body.records) {
        expect(Object.keys(receipt).sort()).toEqual(['id', 'partner_id', 'timestamp']);
        expect(receipt.id).toMatch(UUID_V7);
        expect(receipt.timestamp).toMatch(RFC3339_UTC_MS);
        expect(Date.parse(receipt.timestamp)).toBeGreaterThanOrEqual(before);
        expect(Date.parse(receipt.timestamp)).toBeLessThanOrEqual(after);
      }
      const ids = body.records.map((receipt) => receipt.id);
      expect(new Set(ids).size).toBe(3);
      // Ids sort in ingestion order, and a batch is ingested in request order.
      expect([...ids].sort()).toEqual(ids);
    });

    it('has committed every record when it answers (visible to another connection, readable by id)', async () => {
      const partner = uniquePartner();
      const records = batchOf(5, partner);
      const receipts = await batchOk(context.app, records);

      for (const [index, receipt] of receipts.entries()) {
        expect(await readRow(context.database, receipt.id)).toEqual({
          id: receipt.id,
          partner_id: partner,
          timestamp: receipt.timestamp,
          payload: JSON.stringify(records[index].payload),
        });
        const read = await get(context.app, `/ingest/${receipt.id}`);
        expect(read.statusCode).toBe(200);
        expect(read.json<StoredRecord>()).toEqual({ ...receipt, payload: records[index].payload });
      }
    });

    it('accepts a batch of one record', async () => {
      const partner = uniquePartner();
      const receipts = await batchOk(context.app, [{ partner_id: partner, payload: { only: true } }]);
      expect(receipts).toHaveLength(1);
      expect((await get(context.app, `/ingest/partner/${partner}`)).json()).toEqual(receipts);
    });

    it('lists the records of each partner in request order, after the records ingested before', async () => {
      const acme = uniquePartner('acme');
      const globex = uniquePartner('globex');
      const first = await batchOk(context.app, [{ partner_id: acme, payload: { first: true } }]);
      const receipts = await batchOk(
        context.app,
        batchOf(9, (n) => (n % 3 === 0 ? globex : acme)),
      );

      expect((await get(context.app, `/ingest/partner/${acme}`)).json()).toEqual([
        ...first,
        ...receipts.filter((receipt) => receipt.partner_id === acme),
      ]);
      expect((await get(context.app, `/ingest/partner/${globex}`)).json()).toEqual(
        receipts.filter((receipt) => receipt.partner_id === globex),
      );
    });

    it('accepts the same payload twice in one batch as two records', async () => {
      const partner = uniquePartner();
      const receipts = await batchOk(context.app, [
        { partner_id: partner, payload: { same: 1 } },
        { partner_id: partner, payload: { same: 1 } },
      ]);
      expect(new Set(receipts.map((receipt) => receipt.id)).size).toBe(2);
      expect((await get(context.app, `/ingest/partner/${partner}`)).json()).toEqual(receipts);
    });

    it('keeps the key order of every payload, integer-like keys and "__proto__" included', async () => {
      const partner = uniquePartner();
      const payloadTexts = [
        '{"b":1,"2":"two","a":3,"1":"one","10":"ten"}',
        '{"zebra":{"y":1,"x":2,"0":0},"list":[{"b":1,"a":2}],"":null,"constructor":{"prototype":{"polluted":"yes"}}}',
        '{"__proto__":{"polluted":"yes"},"9":9,"8":8}',
      ];
      const body = `{"records":[${payloadTexts.map((text) => `{"partner_id":"${partner}","payload":${text}}`).join(',')}]}`;

      const response = await ingestBatchRaw(context.app, body);

      expect(response.statusCode).toBe(201);
      const receipts = response.json<BatchReceipt>().records;
      expect(receipts).toHaveLength(3);
      for (const [index, receipt] of receipts.entries()) {
        const read = await get(context.app, `/ingest/${receipt.id}`);
        expect(read.body).toBe(
          `{"id":"${receipt.id}","partner_id":"${partner}","timestamp":"${receipt.timestamp}","payload":${payloadTexts[index]}}`,
        );
        expect((await readRow(context.database, receipt.id))!.payload).toBe(payloadTexts[index]);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    });

    it('stores each payload as compact JSON when the body carries insignificant whitespace', async () => {
      const partner = uniquePartner();
      const response = await ingestBatchRaw(
        context.app,
        `{ "records" : [\n  { "payload" : { "b" : [ 1 , 2 ], "a" : { "y" : "x y" } }, "partner_id" : "${partner}" } ,\n` +
          `  { "partner_id" : "${partner}" , "payload" : { } }\n] }`,
      );

      expect(response.statusCode).toBe(201);
      const [first, second] = response.json<BatchReceipt>().records;
      expect((await readRow(context.database, first.id))!.payload).toBe('{"b":[1,2],"a":{"y":"x y"}}');
      expect((await readRow(context.database, second.id))!.payload).toBe('{}');
    });

    it('publishes one DataIngested per record, after the batch is committed', async () => {
      const partner = uniquePartner();
      const { events, subscription } = recordPublished(context.app);
      // Whether each record was already committed when its event was handled: the read through
      // another connection starts at that moment; its answers are awaited below.
      const committedWhenHandled = new Map<string, Promise<boolean>>();
      const listener = context.app.get(LogDataIngestedHandler);
      const original = listener.handle.bind(listener);
      jest.spyOn(listener, 'handle').mockImplementation(async (event: DataIngested) => {
        if (event.partnerId === partner) {
          committedWhenHandled.set(
            event.dataId,
            readRow(context.database, event.dataId).then((row) => row !== undefined),
          );
        }
        return original(event);
      });
      try {
        const receipts = await batchOk(context.app, batchOf(25, partner));

        const mine = () => events.filter((event) => event.partner_id === partner);
        await waitFor(() => mine().length >= 25 && committedWhenHandled.size >= 25, '25 events');
        await settle(50);

        expect(mine()).toHaveLength(25);
        expect([...mine()].sort((a, b) => a.id.localeCompare(b.id))).toEqual(receipts);
        expect(committedWhenHandled.size).toBe(25);
        expect((await Promise.all(committedWhenHandled.values())).every(Boolean)).toBe(true);
      } finally {
        subscription.unsubscribe();
      }
    });
  });

  describe('number of records', () => {
    it.each([
      ['an empty array', { records: [] }],
      ['missing', {}],
      ['an object', { records: { 0: { partner_id: 'acme', payload: {} } } }],
      ['a string', { records: 'acme' }],
      ['null', { records: null }],
      ['a number', { records: 1 }],
    ])('rejects "records" that is %s with a 400 naming "records"', async (_case, body) => {
      const before = await countRows(context.database);
      expectProblem(await ingestBatch(context.app, body), 400, { fields: ['records'] });
      expect(await countRows(context.database)).toBe(before);
    });

    it(`rejects ${DEFAULT_MAX_BATCH_RECORDS + 1} records (MAX_BATCH_RECORDS defaults to ${DEFAULT_MAX_BATCH_RECORDS})`, async () => {
      const partner = uniquePartner();
      const before = await countRows(context.database);
      const response = await ingestBatch(context.app, { records: batchOf(DEFAULT_MAX_BATCH_RECORDS + 1, partner) });

      expectProblem(response, 400, { fields: ['records'] });
      expect(await countRows(context.database)).toBe(before);
      expect((await get(context.app, `/ingest/partner/${partner}`)).json()).toEqual([]);
    });
  });

  describe('invalid records', () => {
    const ok = (partner: string) => ({ partner_id: partner, payload: { ok: true } });

    it.each<[string, unknown, string[]]>([
      ['a partner_id starting with "-"', { partner_id: '-bad', payload: {} }, ['records[1].partner_id']],
      ['a partner_id of 65 characters', { partner_id: 'p'.repeat(65), payload: {} }, ['records[1].partner_id']],
      ['a partner_id with a slash', { partner_id: 'acme/eu', payload: {} }, ['records[1].partner_id']],
      ['a numeric partner_id', { partner_id: 42, payload: {} }, ['records[1].partner_id']],
      ['no partner_id', { payload: {} }, ['records[1].partner_id']],
      ['a payload that is an array', { partner_id: 'acme', payload: [1] }, ['records[1].payload']],
      ['a payload that is a string', { partner_id: 'acme', payload: '{}' }, ['records[1].payload']],
      ['a payload that is null', { partner_id: 'acme', payload: null }, ['records[1].payload']],
      ['no payload', { partner_id: 'acme' }, ['records[1].payload']],
      ['neither field', {}, ['records[1].partner_id', 'records[1].payload']],
      ['an unknown field', { partner_id: 'acme', payload: {}, source: 'web' }, ['records[1].source']],
      ['null', null, ['records[1]']],
      ['a string', 'acme', ['records[1]']],
      ['a number', 7, ['records[1]']],
      ['an array', [{ partner_id: 'acme', payload: {} }], ['records[1]']],
    ])('rejects the whole batch when a record has %s, naming the field', async (_case, bad, fields) => {
      const partner = uniquePartner();
      const { events, subscription } = recordPublished(context.app);
      try {
        const before = await countRows(context.database);
        const response = await ingestBatch(context.app, { records: [ok(partner), bad, ok(partner)] });

        const problem = expectProblem(response, 400);
        expect(fieldsOf(problem)).toEqual([...fields].sort());
        expect(await countRows(context.database)).toBe(before);
        expect((await get(context.app, `/ingest/partner/${partner}`)).json()).toEqual([]);
        await settle(20);
        expect(events.filter((event) => event.partner_id === partner)).toEqual([]);
      } finally {
        subscription.unsubscribe();
      }
    });

    it('rejects a payload nested 33 levels deep, naming records[i].payload', async () => {
      let payload: Record<string, unknown> = { leaf: true };
      for (let level = 1; level < 33; level++) payload = { child: payload };
      const partner = uniquePartner();

      const problem = expectProblem(
        await ingestBatch(context.app, { records: [ok(partner), ok(partner), { partner_id: partner, payload }] }),
        400,
      );
      expect(fieldsOf(problem)).toEqual(['records[2].payload']);
      expect((await get(context.app, `/ingest/partner/${partner}`)).json()).toEqual([]);
    });

    it('rejects a payload over MAX_PAYLOAD_BYTES in one record, naming records[i].payload', async () => {
      const partner = uniquePartner();
      const before = await countRows(context.database);
      const response = await ingestBatch(context.app, {
        records: [ok(partner), { partner_id: partner, payload: { x: 'a'.repeat(262_144) } }],
      });

      // The contract makes a bad record a 400; POST /ingest answers an oversized payload with 413. Either is a rejection.
      expect([400, 413]).toContain(response.statusCode);
      expect(fieldsOf(expectProblem(response, response.statusCode))).toEqual(['records[1].payload']);
      expect(await countRows(context.database)).toBe(before);
    });

    it('lists every field at fault in one answer, and stores nothing', async () => {
      const partner = uniquePartner();
      const before = await countRows(context.database);
      const records = [
        ok(partner),
        { partner_id: '-bad', payload: {} },
        ok(partner),
        { partner_id: partner, payload: [] },
        'not a record',
        { partner_id: partner, payload: {}, extra: 1 },
        {},
        ok(partner),
      ];

      const problem = expectProblem(await ingestBatch(context.app, { records }), 400);

      expect(fieldsOf(problem)).toEqual(
        [
          'records[1].partner_id',
          'records[3].payload',
          'records[4]',
          'records[5].extra',
          'records[6].partner_id',
          'records[6].payload',
        ].sort(),
      );
      expect(await countRows(context.database)).toBe(before);
    });

    it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
      'rejects a record field named "%s" as unknown, naming it',
      async (name) => {
        const partner = uniquePartner();
        const before = await countRows(context.database);
        const response = await ingestBatchRaw(
          context.app,
          `{"records":[{"partner_id":"${partner}","payload":{}},{"partner_id":"${partner}","payload":{},"${name}":{"polluted":true}}]}`,
        );

        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(fieldsOf(expectProblem(response, 400))).toEqual([`records[1].${name}`]);
        expect(await countRows(context.database)).toBe(before);
      },
    );
  });

  describe('invalid bodies', () => {
    it('rejects an unknown top-level field, naming it', async () => {
      const partner = uniquePartner();
      expectProblem(
        await ingestBatch(context.app, { records: [{ partner_id: partner, payload: {} }], source: 'web' }),
        400,
        { fields: ['source'] },
      );
      expect((await get(context.app, `/ingest/partner/${partner}`)).json()).toEqual([]);
    });

    it.each(['__proto__', 'constructor', 'toString'])(
      'rejects a top-level field named "%s" as unknown, naming it',
      async (name) => {
        const before = await countRows(context.database);
        const response = await ingestBatchRaw(
          context.app,
          `{"records":[{"partner_id":"acme","payload":{}}],"${name}":{"polluted":true}}`,
        );
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expectProblem(response, 400, { fields: [name] });
        expect(await countRows(context.database)).toBe(before);
      },
    );

    it.each<[string, string]>([
      ['invalid JSON', '{"records":[{"partner_id":"acme","payload":{}}'],
      ['an empty body', ''],
      ['a JSON array', '[{"partner_id":"acme","payload":{}}]'],
      ['JSON null', 'null'],
      ['a single record instead of a batch', '{"partner_id":"acme","payload":{}}'],
    ])('rejects %s with a 400', async (_case, body) => {
      const before = await countRows(context.database);
      expectProblem(await ingestBatchRaw(context.app, body), 400);
      expect(await countRows(context.database)).toBe(before);
    });

    it('names invalid JSON in the problem type', async () => {
      expectProblem(await ingestBatchRaw(context.app, '{"records":['), 400, { type: PROBLEM_TYPE('invalid-json') });
    });

    it('rejects a content type other than JSON with a 415', async () => {
      const before = await countRows(context.database);
      expectProblem(
        await ingestBatchRaw(context.app, '{"records":[{"partner_id":"acme","payload":{}}]}', {
          'content-type': 'text/plain',
        }),
        415,
        { type: PROBLEM_TYPE('unsupported-media-type') },
      );
      expect(await countRows(context.database)).toBe(before);
    });
  });

  describe('body size (MAX_BATCH_BYTES defaults to 4 MiB)', () => {
    it('accepts a body of exactly MAX_BATCH_BYTES, far above the POST /ingest body limit', async () => {
      const partner = uniquePartner();
      const response = await ingestBatchRaw(context.app, paddedBatchBody(DEFAULT_MAX_BATCH_BYTES, partner));
      expect(response.statusCode).toBe(201);
      expect((await get(context.app, `/ingest/partner/${partner}`)).json()).toEqual(
        response.json<BatchReceipt>().records,
      );
    });

    it('rejects a body one byte over MAX_BATCH_BYTES with a 413, storing nothing', async () => {
      const partner = uniquePartner();
      const before = await countRows(context.database);
      expectProblem(await ingestBatchRaw(context.app, paddedBatchBody(DEFAULT_MAX_BATCH_BYTES + 1, partner)), 413);
      expect(await countRows(context.database)).toBe(before);
    });

    it('accepts many records whose payloads add up to more than MAX_PAYLOAD_BYTES', async () => {
      const partner = uniquePartner();
      // 20 records of ~100 KB: 2 MB in all, each payload under the 256 KiB limit.
      const records = Array.from({ length: 20 }, (_, n) => ({
        partner_id: partner,
        payload: { n, x: 'y'.repeat(100_000) },
      }));
      const receipts = await batchOk(context.app, records);
      expect(receipts).toHaveLength(20);
    });
  });

  describe('a failure inside the transaction', () => {
    it('leaves nothing of the batch behind and publishes nothing, then the service keeps serving', async () => {
      const partner = uniquePartner('ok');
      const boom = uniquePartner('boom');
      const removeFault = await installInsertFault(context.database, boom);
      // The server logs the failure with its stack; keep the test output readable.
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const { events, subscription } = recordPublished(context.app);
      try {
        const before = await countRows(context.database);
        const response = await ingestBatch(context.app, {
          records: [
            { partner_id: partner, payload: { n: 0 } },
            { partner_id: partner, payload: { n: 1 } },
            { partner_id: boom, payload: { n: 2 } },
            { partner_id: partner, payload: { n: 3 } },
          ],
        });

        expect([500, 503]).toContain(response.statusCode);
        expectProblem(response, response.statusCode);
        expect(response.body).not.toContain('injected fault');
        // installInsertFault names its trigger (and PostgreSQL function) fail_<hex>.
        expect(response.body).not.toMatch(/fail_[0-9a-f]+/);
        expect(logged).toHaveBeenCalled();
        expect(await countRows(context.database)).toBe(before);
        expect(
          await context.database.query('SELECT "id" FROM "ingested_data" WHERE "partner_id" IN (?, ?)', partner, boom),
        ).toEqual([]);
        expect((await get(context.app, `/ingest/partner/${partner}`)).json()).toEqual([]);
        await settle(50);
        // Records of earlier tests may still be on their way: only this batch's partners count.
        expect(events.filter((event) => [partner, boom].includes(event.partner_id))).toEqual([]);

        expect((await get(context.app, '/health/live')).statusCode).toBe(200);
        const next = await batchOk(context.app, batchOf(2, partner));
        expect((await get(context.app, `/ingest/partner/${partner}`)).json()).toEqual(next);
      } finally {
        subscription.unsubscribe();
        await removeFault();
      }
    });
  });
});

describe(`POST /ingest/batch of ${DEFAULT_MAX_BATCH_RECORDS} records`, () => {
  const context = useTestApp();

  it('answers 201 with every receipt in request order; every record is readable and listed in that order', async () => {
    const partnerOf = (n: number) => ['acme', 'globex', 'initech'][n % 3];
    const records = batchOf(DEFAULT_MAX_BATCH_RECORDS, partnerOf);

    const response = await ingestBatch(context.app, { records });

    expect(response.statusCode).toBe(201);
    const receipts = response.json<BatchReceipt>().records;
    expect(receipts).toHaveLength(DEFAULT_MAX_BATCH_RECORDS);
    expect(receipts.map((receipt) => receipt.partner_id)).toEqual(records.map((record) => record.partner_id));
    const ids = receipts.map((receipt) => receipt.id);
    expect(new Set(ids).size).toBe(DEFAULT_MAX_BATCH_RECORDS);
    expect([...ids].sort()).toEqual(ids);
    expect(await countRows(context.database)).toBe(DEFAULT_MAX_BATCH_RECORDS);

    for (let start = 0; start < receipts.length; start += 100) {
      const reads = await Promise.all(
        receipts.slice(start, start + 100).map((receipt) => get(context.app, `/ingest/${receipt.id}`)),
      );
      for (const [offset, read] of reads.entries()) {
        expect(read.statusCode).toBe(200);
        expect(read.json()).toEqual({ ...receipts[start + offset], payload: { n: start + offset } });
      }
    }

    expect((await get(context.app, '/ingest/all')).json()).toEqual(receipts);
    expect(
      (await get(context.app, '/ingest/all?include=payload')).json<StoredRecord[]>().map((record) => record.payload),
    ).toEqual(records.map((record) => record.payload));
    expect((await get(context.app, '/ingest/partner/globex')).json()).toEqual(
      receipts.filter((receipt) => receipt.partner_id === 'globex'),
    );
  });

  it(`rejects ${DEFAULT_MAX_BATCH_RECORDS + 1} records with a 400 naming "records", storing none`, async () => {
    const before = await countRows(context.database);
    expectProblem(await ingestBatch(context.app, { records: batchOf(DEFAULT_MAX_BATCH_RECORDS + 1, 'acme') }), 400, {
      fields: ['records'],
    });
    expect(await countRows(context.database)).toBe(before);
  });
});

describe('POST /ingest/batch with MAX_BATCH_RECORDS=3 and MAX_BATCH_BYTES=4096', () => {
  const context = useTestApp({ env: { MAX_BATCH_RECORDS: '3', MAX_BATCH_BYTES: '4096' } });

  it('accepts 3 records and rejects 4 with a 400 naming "records"', async () => {
    expect(await batchOk(context.app, batchOf(3, 'acme'))).toHaveLength(3);
    const before = await countRows(context.database);
    expectProblem(await ingestBatch(context.app, { records: batchOf(4, 'acme') }), 400, { fields: ['records'] });
    expect(await countRows(context.database)).toBe(before);
  });

  it('accepts a body of exactly 4096 bytes and rejects 4097 with a 413', async () => {
    expect((await ingestBatchRaw(context.app, paddedBatchBody(4096, 'acme'))).statusCode).toBe(201);
    const before = await countRows(context.database);
    expectProblem(await ingestBatchRaw(context.app, paddedBatchBody(4097, 'acme')), 413);
    expect(await countRows(context.database)).toBe(before);
  });

  it('leaves POST /ingest limits as they were', async () => {
    const response = await context.app.inject({
      method: 'POST',
      url: '/ingest',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ partner_id: 'acme', payload: { x: 'a'.repeat(10_000) } }),
    });
    expect(response.statusCode).toBe(201);
  });
});

describe('batch settings', () => {
  it.each([
    ['MAX_BATCH_RECORDS', '0'],
    ['MAX_BATCH_RECORDS', '-1'],
    ['MAX_BATCH_RECORDS', 'many'],
    ['MAX_BATCH_BYTES', '0'],
    ['MAX_BATCH_BYTES', '4MiB'],
  ])('refuses to start with %s=%s, naming the variable', async (name, value) => {
    const database = await createTestDatabase();
    try {
      await expect(createTestApp(database, { env: { [name]: value } })).rejects.toThrow(name);
    } finally {
      await database.remove();
    }
  });
});
