import { Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { PurgeExpiredIdempotencyKeysCommand } from '../src/ingestion/application/commands/purge-expired-idempotency-keys.command';
import { recordPublished } from './support/events';
import {
  expectProblem,
  get,
  ingest,
  ingestBatch,
  ingestBatchRaw,
  ingestRaw,
  InjectResponse,
  JSON_CONTENT_TYPE,
  Receipt,
  settle,
  waitFor,
} from './support/http';
import { countRows, installInsertFault } from './support/database';
import { createTestApp, createTestDatabase, TestDatabase, useTestApp } from './support/test-app';

const HOUR_MS = 3_600_000;
const KEY_REUSED = /idempotency-key-reused$/;
const LONG_AGO = '2000-01-01T00:00:00.000Z';

interface BatchReceipt {
  records: Receipt[];
}

interface IdempotencyKeyRow {
  scope: string;
  key: string;
  fingerprint: string;
  status: unknown;
  response: unknown;
  created_at: string;
  expires_at: string;
}

/** A key no other test uses. */
function newKey(): string {
  return `key-${randomUUID()}`;
}

/** A partner id no other test uses, so that per-partner lists and counts belong to one test. */
function uniquePartner(prefix = 'p'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

function withKey(key: string): Record<string, string> {
  return { 'idempotency-key': key };
}

function keyRows(database: TestDatabase, key: string): Promise<IdempotencyKeyRow[]> {
  return database.query<IdempotencyKeyRow>('SELECT * FROM "idempotency_keys" WHERE "key" = ?', key);
}

/** The ids of a partner's records in ingestion order (UUIDv7 ids sort in that order). */
function partnerRows(database: TestDatabase, partnerId: string): Promise<Array<{ id: string }>> {
  return database.query<{ id: string }>(
    'SELECT "id" FROM "ingested_data" WHERE "partner_id" = ? ORDER BY "id"',
    partnerId,
  );
}

/** Makes every stored use of `key` expired, as if its TTL had passed. */
async function expireKey(database: TestDatabase, key: string): Promise<void> {
  expect(await database.run('UPDATE "idempotency_keys" SET "expires_at" = ? WHERE "key" = ?', LONG_AGO, key)).toBe(1);
}

/** The first answer to a key: a 201 that is not marked as a replay. */
function expectFirst(response: InjectResponse): void {
  expect({ status: response.statusCode, body: response.body }).toEqual({ status: 201, body: expect.any(String) });
  expect(response.headers['idempotent-replayed']).toBeUndefined();
}

/** A replay of `original`: same status, byte-identical body, marked as replayed. */
function expectReplayOf(response: InjectResponse, original: InjectResponse): void {
  expect({ status: response.statusCode, body: response.body }).toEqual({
    status: original.statusCode,
    body: original.body,
  });
  expect(response.headers['idempotent-replayed']).toBe('true');
  expect(response.headers['content-type']).toMatch(JSON_CONTENT_TYPE);
  expect(response.headers.location).toBe(original.headers.location);
}

type Send = (app: NestFastifyApplication, partnerId: string, key: string, n?: number) => Promise<InjectResponse>;

const ROUTES: Array<[string, Send]> = [
  [
    'POST /ingest',
    (app, partnerId, key, n = 0) => ingest(app, { partner_id: partnerId, payload: { n } }, withKey(key)),
  ],
  [
    'POST /ingest/batch',
    (app, partnerId, key, n = 0) =>
      ingestBatch(
        app,
        {
          records: [
            { partner_id: partnerId, payload: { n } },
            { partner_id: partnerId, payload: { n, second: true } },
          ],
        },
        withKey(key),
      ),
  ],
];

describe('Idempotency-Key', () => {
  const context = useTestApp();

  afterEach(() => jest.restoreAllMocks());

  describe.each(ROUTES)('on %s', (route, send) => {
    describe('header validation', () => {
      it.each<[string, string]>([
        ['empty', ''],
        ['256 characters long', 'k'.repeat(256)],
        ['holding a control character (\\x01)', 'abc\x01def'],
        ['holding DEL (\\x7f)', 'abc\x7fdef'],
        ['holding a tab', 'abc\tdef'],
        ['holding a non-ASCII character', 'clé-1'],
      ])('rejects a key %s with a 400 naming Idempotency-Key, storing nothing', async (_case, key) => {
        const partner = uniquePartner();
        const before = await countRows(context.database);

        expectProblem(await send(context.app, partner, key), 400, { fields: ['Idempotency-Key'] });

        expect(await countRows(context.database)).toBe(before);
        expect(await partnerRows(context.database, partner)).toEqual([]);
      });

      it.each<[string, string]>([
        ['1 character', 'k'],
        ['255 characters', 'k'.repeat(255)],
        [
          'every printable ASCII character, space included',
          'a b' + Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join(''),
        ],
      ])('accepts a key of %s, and replays it', async (_case, key) => {
        // The same key serves both routes in this app, each time for another partner: count this scope's row.
        const partner = uniquePartner();
        const rowsBefore = (await keyRows(context.database, key)).length;
        const first = await send(context.app, partner, key);
        expectFirst(first);
        expectReplayOf(await send(context.app, partner, key), first);
        const rows = await keyRows(context.database, key);
        expect(rows).toHaveLength(rowsBefore + 1);
        expect(rows.filter((row) => row.key === key && row.response === first.body)).toHaveLength(1);
      });
    });

    it('replays the first answer byte for byte, with Idempotent-Replayed: true, no new record and no new event', async () => {
      const partner = uniquePartner();
      const key = newKey();
      const { events, subscription } = recordPublished(context.app);
      try {
        const first = await send(context.app, partner, key);
        expectFirst(first);
        const stored = await partnerRows(context.database, partner);
        expect(stored.length).toBeGreaterThan(0);
        const mine = () => events.filter((event) => event.partner_id === partner);
        await waitFor(() => mine().length === stored.length, 'the events of the first request');

        for (let retry = 0; retry < 3; retry++) expectReplayOf(await send(context.app, partner, key), first);

        await settle(50);
        expect(await partnerRows(context.database, partner)).toEqual(stored);
        expect(mine()).toHaveLength(stored.length);
        expect(await keyRows(context.database, key)).toHaveLength(1);
      } finally {
        subscription.unsubscribe();
      }
    });

    it('answers the same key with a different body with a 422, and keeps replaying the original', async () => {
      const partner = uniquePartner();
      const key = newKey();
      const first = await send(context.app, partner, key, 1);
      expectFirst(first);
      const stored = await partnerRows(context.database, partner);

      expectProblem(await send(context.app, partner, key, 2), 422, { type: KEY_REUSED });

      expect(await partnerRows(context.database, partner)).toEqual(stored);
      expectReplayOf(await send(context.app, partner, key, 1), first);
    });

    it('scopes a key to the partner: the same key for another partner is a new request', async () => {
      const acme = uniquePartner('acme');
      const globex = uniquePartner('globex');
      const key = newKey();

      const forAcme = await send(context.app, acme, key);
      const forGlobex = await send(context.app, globex, key);

      expectFirst(forAcme);
      expectFirst(forGlobex);
      expect((await partnerRows(context.database, acme)).length).toBeGreaterThan(0);
      expect(await partnerRows(context.database, globex)).toHaveLength(
        (await partnerRows(context.database, acme)).length,
      );
      expectReplayOf(await send(context.app, acme, key), forAcme);
      expectReplayOf(await send(context.app, globex, key), forGlobex);
      expect(await keyRows(context.database, key)).toHaveLength(2);
    });

    it('does not store a rejected request under the key: a valid one afterwards is a first request', async () => {
      const partner = uniquePartner();
      const key = newKey();
      const invalid =
        route === 'POST /ingest'
          ? await ingest(context.app, { partner_id: partner, payload: [] }, withKey(key))
          : await ingestBatch(context.app, { records: [{ partner_id: partner, payload: [] }] }, withKey(key));
      expectProblem(invalid, 400);
      const alsoRejected =
        route === 'POST /ingest'
          ? await ingest(context.app, { partner_id: partner, payload: { x: 'a'.repeat(262_144) } }, withKey(key))
          : await ingestBatch(context.app, { records: [] }, withKey(key));
      expectProblem(alsoRejected, route === 'POST /ingest' ? 413 : 400);
      expect(await keyRows(context.database, key)).toEqual([]);

      const first = await send(context.app, partner, key);
      expectFirst(first);
      expectReplayOf(await send(context.app, partner, key), first);
    });

    it('answers 20 concurrent requests with one key with exactly one record set and one event per record', async () => {
      const partner = uniquePartner();
      const key = newKey();
      const { events, subscription } = recordPublished(context.app);
      try {
        const responses = await Promise.all(Array.from({ length: 20 }, () => send(context.app, partner, key)));

        const statuses = responses.map((response) => response.statusCode);
        expect(statuses.filter((status) => status !== 201 && status !== 409)).toEqual([]);
        const created = responses.filter((response) => response.statusCode === 201);
        expect(created.length).toBeGreaterThanOrEqual(1);
        expect(new Set(created.map((response) => response.body)).size).toBe(1);
        expect(created.filter((response) => response.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
        for (const conflict of responses.filter((response) => response.statusCode === 409)) {
          expectProblem(conflict, 409);
        }

        const expectedRecords = route === 'POST /ingest' ? 1 : 2;
        expect(await partnerRows(context.database, partner)).toHaveLength(expectedRecords);
        const mine = () => events.filter((event) => event.partner_id === partner);
        await waitFor(() => mine().length >= expectedRecords, 'the events');
        await settle(50);
        expect(mine()).toHaveLength(expectedRecords);

        const retry = await send(context.app, partner, key);
        expect(retry.statusCode).toBe(201);
        expect(retry.body).toBe(created[0].body);
        expect(retry.headers['idempotent-replayed']).toBe('true');
      } finally {
        subscription.unsubscribe();
      }
    });

    it('answers 10 concurrent requests with one key and different bodies with one 201 and one record set', async () => {
      const partner = uniquePartner();
      const key = newKey();
      const responses = await Promise.all(Array.from({ length: 10 }, (_, n) => send(context.app, partner, key, n)));

      const statuses = responses.map((response) => response.statusCode);
      expect(statuses.filter((status) => ![201, 409, 422].includes(status))).toEqual([]);
      expect(statuses.filter((status) => status === 201)).toHaveLength(1);
      expect(await partnerRows(context.database, partner)).toHaveLength(route === 'POST /ingest' ? 1 : 2);
    });

    it('accepts the key again once it has expired: a new record, not a replay', async () => {
      const partner = uniquePartner();
      const key = newKey();
      const first = await send(context.app, partner, key);
      expectFirst(first);
      const stored = await partnerRows(context.database, partner);

      await expireKey(context.database, key);
      const again = await send(context.app, partner, key);

      expectFirst(again);
      expect(again.body).not.toBe(first.body);
      const storedAfter = await partnerRows(context.database, partner);
      expect(storedAfter).toHaveLength(stored.length * 2);
      expect(storedAfter.slice(0, stored.length)).toEqual(stored);
      expectReplayOf(await send(context.app, partner, key), again);
      expect(await partnerRows(context.database, partner)).toHaveLength(stored.length * 2);
    });

    it('keeps the key for IDEMPOTENCY_TTL_HOURS (24 by default)', async () => {
      const key = newKey();
      const before = Date.now();
      expectFirst(await send(context.app, uniquePartner(), key));
      const after = Date.now();

      const [row] = await keyRows(context.database, key);
      expect(Date.parse(row.expires_at)).toBeGreaterThanOrEqual(before + 24 * HOUR_MS);
      expect(Date.parse(row.expires_at)).toBeLessThanOrEqual(after + 24 * HOUR_MS + 1000);
      expect(Date.parse(row.created_at)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(row.created_at)).toBeLessThanOrEqual(after);
    });
  });

  describe('on POST /ingest', () => {
    it('replays the Location header and the body of the first answer', async () => {
      const key = newKey();
      const first = await ingest(context.app, { partner_id: 'acme', payload: { located: true } }, withKey(key));
      expectFirst(first);
      const receipt = first.json<Receipt>();
      expect(first.headers.location).toBe(`/ingest/${receipt.id}`);

      const retry = await ingest(context.app, { partner_id: 'acme', payload: { located: true } }, withKey(key));

      expectReplayOf(retry, first);
      expect(retry.headers.location).toBe(`/ingest/${receipt.id}`);
      expect(retry.json()).toEqual(receipt);
    });

    it('treats a body that differs only in whitespace as the same request', async () => {
      const partner = uniquePartner();
      const key = newKey();
      const first = await ingestRaw(
        context.app,
        `{"partner_id":"${partner}","payload":{"a":1,"b":[1,2],"c":{"d":"e f"}}}`,
        { 'content-type': 'application/json', ...withKey(key) },
      );
      expectFirst(first);

      const retry = await ingestRaw(
        context.app,
        `{\n  "partner_id" : "${partner}",\n  "payload" : { "a" : 1 , "b" : [ 1, 2 ] , "c" : { "d" : "e f" } }\n}\n`,
        { 'content-type': 'application/json', ...withKey(key) },
      );

      expectReplayOf(retry, first);
      expect(await partnerRows(context.database, partner)).toHaveLength(1);
    });

    it('treats a payload with its keys in another order as a different request (422)', async () => {
      const partner = uniquePartner();
      const key = newKey();
      expectFirst(
        await ingestRaw(context.app, `{"partner_id":"${partner}","payload":{"a":1,"b":2}}`, {
          'content-type': 'application/json',
          ...withKey(key),
        }),
      );

      expectProblem(
        await ingestRaw(context.app, `{"partner_id":"${partner}","payload":{"b":2,"a":1}}`, {
          'content-type': 'application/json',
          ...withKey(key),
        }),
        422,
        { type: KEY_REUSED },
      );
      expect(await partnerRows(context.database, partner)).toHaveLength(1);
    });

    it('does not consume the key when storing fails, and does not replay the failure', async () => {
      const partner = uniquePartner('boom');
      const key = newKey();
      const removeFault = await installFault(context.database, partner);
      const { events, subscription } = recordPublished(context.app);
      try {
        for (let attempt = 0; attempt < 2; attempt++) {
          const failed = await ingest(context.app, { partner_id: partner, payload: { n: 1 } }, withKey(key));
          expectServerFault(failed);
          expect(failed.headers['idempotent-replayed']).toBeUndefined();
        }
        expect(await partnerRows(context.database, partner)).toEqual([]);
        expect(await keyRows(context.database, key)).toEqual([]);
        await settle(50);
        expect(events.filter((event) => event.partner_id === partner)).toEqual([]);

        await removeFault();
        const created = await ingest(context.app, { partner_id: partner, payload: { n: 1 } }, withKey(key));
        expectFirst(created);
        expect(await partnerRows(context.database, partner)).toEqual([{ id: created.json<Receipt>().id }]);
        expectReplayOf(await ingest(context.app, { partner_id: partner, payload: { n: 1 } }, withKey(key)), created);
      } finally {
        subscription.unsubscribe();
        await removeFault();
      }
    });
  });

  describe('on POST /ingest/batch', () => {
    it('replays without a Location header, and without storing or publishing anything new', async () => {
      const acme = uniquePartner('acme');
      const globex = uniquePartner('globex');
      const key = newKey();
      const body = {
        records: [
          { partner_id: acme, payload: { n: 0 } },
          { partner_id: globex, payload: { n: 1 } },
          { partner_id: acme, payload: { n: 2 } },
        ],
      };
      const { events, subscription } = recordPublished(context.app);
      try {
        const first = await ingestBatch(context.app, body, withKey(key));
        expectFirst(first);
        expect(first.headers.location).toBeUndefined();
        const receipts = first.json<BatchReceipt>().records;
        const mine = () => events.filter((event) => event.partner_id === acme || event.partner_id === globex);
        await waitFor(() => mine().length === 3, 'three events');

        const retry = await ingestBatch(context.app, body, withKey(key));

        expectReplayOf(retry, first);
        expect(retry.json<BatchReceipt>().records).toEqual(receipts);
        await settle(50);
        expect(mine()).toHaveLength(3);
        expect(await partnerRows(context.database, acme)).toHaveLength(2);
        expect(await partnerRows(context.database, globex)).toHaveLength(1);
      } finally {
        subscription.unsubscribe();
      }
    });

    it('treats a body that differs only in whitespace as the same request', async () => {
      const partner = uniquePartner();
      const key = newKey();
      const headers = { 'content-type': 'application/json', ...withKey(key) };
      const first = await ingestBatchRaw(
        context.app,
        `{"records":[{"partner_id":"${partner}","payload":{"a":1}},{"partner_id":"${partner}","payload":{"b":[2]}}]}`,
        headers,
      );
      expectFirst(first);

      const retry = await ingestBatchRaw(
        context.app,
        `{ "records" : [\n  { "partner_id" : "${partner}", "payload" : { "a" : 1 } },\n` +
          `  { "partner_id" : "${partner}", "payload" : { "b" : [ 2 ] } }\n] }`,
        headers,
      );

      expectReplayOf(retry, first);
      expect(await partnerRows(context.database, partner)).toHaveLength(2);
    });

    it('treats the same records in another order as a different request (422)', async () => {
      const partner = uniquePartner();
      const key = newKey();
      const records = [
        { partner_id: partner, payload: { n: 0 } },
        { partner_id: partner, payload: { n: 1 } },
      ];
      expectFirst(await ingestBatch(context.app, { records }, withKey(key)));

      expectProblem(await ingestBatch(context.app, { records: [...records].reverse() }, withKey(key)), 422, {
        type: KEY_REUSED,
      });
      expect(await partnerRows(context.database, partner)).toHaveLength(2);
    });

    it('scopes a key to the set of partners a batch names, whatever their order or repetition', async () => {
      const acme = uniquePartner('acme');
      const globex = uniquePartner('globex');
      const key = newKey();
      const both = {
        records: [
          { partner_id: acme, payload: { n: 0 } },
          { partner_id: globex, payload: { n: 1 } },
        ],
      };
      const first = await ingestBatch(context.app, both, withKey(key));
      expectFirst(first);

      // Same set {acme, globex}, other body: the key is taken.
      expectProblem(
        await ingestBatch(
          context.app,
          {
            records: [
              { partner_id: globex, payload: { n: 1 } },
              { partner_id: acme, payload: { n: 0 } },
              { partner_id: globex, payload: { n: 2 } },
            ],
          },
          withKey(key),
        ),
        422,
        { type: KEY_REUSED },
      );

      // {acme} alone and {globex} alone are other scopes.
      const acmeOnly = await ingest(context.app, { partner_id: acme, payload: { n: 0 } }, withKey(key));
      expectFirst(acmeOnly);
      const globexOnly = await ingestBatch(
        context.app,
        {
          records: [
            { partner_id: globex, payload: { n: 1 } },
            { partner_id: globex, payload: { n: 3 } },
          ],
        },
        withKey(key),
      );
      expectFirst(globexOnly);

      expectReplayOf(await ingestBatch(context.app, both, withKey(key)), first);
      expect(await partnerRows(context.database, acme)).toHaveLength(2);
      expect(await partnerRows(context.database, globex)).toHaveLength(3);
    });

    it('answers a batch naming only partner P with a key used for POST /ingest of P with a 422', async () => {
      const partner = uniquePartner();
      const key = newKey();
      expectFirst(await ingest(context.app, { partner_id: partner, payload: { n: 0 } }, withKey(key)));

      expectProblem(
        await ingestBatch(context.app, { records: [{ partner_id: partner, payload: { n: 0 } }] }, withKey(key)),
        422,
        { type: KEY_REUSED },
      );
      expectProblem(
        await ingestBatch(
          context.app,
          {
            records: [
              { partner_id: partner, payload: { n: 0 } },
              { partner_id: partner, payload: { n: 1 } },
            ],
          },
          withKey(key),
        ),
        422,
        { type: KEY_REUSED },
      );
      expect(await partnerRows(context.database, partner)).toHaveLength(1);
    });

    it('answers POST /ingest of P with a key used for a batch naming only P with a 422', async () => {
      const partner = uniquePartner();
      const key = newKey();
      expectFirst(
        await ingestBatch(context.app, { records: [{ partner_id: partner, payload: { n: 0 } }] }, withKey(key)),
      );

      expectProblem(await ingest(context.app, { partner_id: partner, payload: { n: 0 } }, withKey(key)), 422, {
        type: KEY_REUSED,
      });
      expect(await partnerRows(context.database, partner)).toHaveLength(1);
    });

    it('rolls back a batch that fails mid-transaction: no record, no key, no event; a resend then succeeds', async () => {
      const partner = uniquePartner('ok');
      const boom = uniquePartner('boom');
      const key = newKey();
      const body = {
        records: [
          { partner_id: partner, payload: { n: 0 } },
          { partner_id: partner, payload: { n: 1 } },
          { partner_id: boom, payload: { n: 2 } },
          { partner_id: partner, payload: { n: 3 } },
        ],
      };
      const removeFault = await installFault(context.database, boom);
      const { events, subscription } = recordPublished(context.app);
      try {
        const before = await countRows(context.database);
        for (let attempt = 0; attempt < 2; attempt++) {
          const failed = await ingestBatch(context.app, body, withKey(key));
          expectServerFault(failed);
          expect(failed.headers['idempotent-replayed']).toBeUndefined();
        }

        expect(await countRows(context.database)).toBe(before);
        expect(await partnerRows(context.database, partner)).toEqual([]);
        expect(await partnerRows(context.database, boom)).toEqual([]);
        expect(await keyRows(context.database, key)).toEqual([]);
        await settle(50);
        // Records of earlier tests may still be on their way: only this batch's partners count.
        expect(events.filter((event) => [partner, boom].includes(event.partner_id))).toEqual([]);

        await removeFault();
        const created = await ingestBatch(context.app, body, withKey(key));

        expectFirst(created);
        const receipts = created.json<BatchReceipt>().records;
        expect(receipts.map((receipt) => receipt.partner_id)).toEqual([partner, partner, boom, partner]);
        expect(await partnerRows(context.database, partner)).toEqual(
          [receipts[0], receipts[1], receipts[3]].map((receipt) => ({ id: receipt.id })),
        );
        expect(await partnerRows(context.database, boom)).toEqual([{ id: receipts[2].id }]);
        for (const [n, receipt] of receipts.entries()) {
          expect((await get(context.app, `/ingest/${receipt.id}`)).json()).toEqual({ ...receipt, payload: { n } });
        }
        const mine = () => events.filter((event) => [partner, boom].includes(event.partner_id));
        await waitFor(() => mine().length >= 4, 'four events');
        await settle(50);
        expect([...mine()].sort((a, b) => a.id.localeCompare(b.id))).toEqual(receipts);
        expect(await keyRows(context.database, key)).toHaveLength(1);
        expectReplayOf(await ingestBatch(context.app, body, withKey(key)), created);
      } finally {
        subscription.unsubscribe();
        await removeFault();
      }
    });
  });
});

describe('Idempotency-Key shared by two app instances on one database', () => {
  let database: TestDatabase;
  let apps: NestFastifyApplication[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    apps.push(await createTestApp(database));
    apps.push(await createTestApp(database));
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    apps = [];
    await database.remove();
  });

  it('creates exactly one record for 20 concurrent requests spread over both', async () => {
    const partner = uniquePartner();
    const key = newKey();
    const recorders = apps.map((app) => recordPublished(app));
    try {
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          ingest(apps[n % 2], { partner_id: partner, payload: { shared: true } }, withKey(key)),
        ),
      );

      expect(
        responses.map((response) => response.statusCode).filter((status) => status !== 201 && status !== 409),
      ).toEqual([]);
      const created = responses.filter((response) => response.statusCode === 201);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(new Set(created.map((response) => response.body)).size).toBe(1);
      expect(await partnerRows(database, partner)).toHaveLength(1);
      const published = () => recorders.flatMap((recorder) => recorder.events);
      await waitFor(() => published().length >= 1, 'the event');
      await settle(50);
      expect(published()).toHaveLength(1);
    } finally {
      for (const recorder of recorders) recorder.subscription.unsubscribe();
    }
  });

  it('replays on one instance what the other answered', async () => {
    const partner = uniquePartner();
    const key = newKey();
    const first = await ingest(apps[0], { partner_id: partner, payload: { n: 1 } }, withKey(key));
    expectFirst(first);

    expectReplayOf(await ingest(apps[1], { partner_id: partner, payload: { n: 1 } }, withKey(key)), first);
    expectProblem(await ingest(apps[1], { partner_id: partner, payload: { n: 2 } }, withKey(key)), 422, {
      type: KEY_REUSED,
    });
  });
});

describe('Idempotency-Key across a restart', () => {
  it('replays after the app restarts on the same database file', async () => {
    const database = await createTestDatabase();
    let app: NestFastifyApplication | undefined;
    try {
      const key = newKey();
      const body = { records: [{ partner_id: 'acme', payload: { n: 0 } }] };
      app = await createTestApp(database);
      const first = await ingestBatch(app, body, withKey(key));
      expectFirst(first);
      await app.close();

      app = await createTestApp(database);

      expectReplayOf(await ingestBatch(app, body, withKey(key)), first);
      expect(await countRows(database)).toBe(1);
    } finally {
      await app?.close();
      await database.remove();
    }
  });
});

describe('Idempotency-Key with IDEMPOTENCY_TTL_HOURS=0.0003 (about 1 s)', () => {
  const context = useTestApp({ env: { IDEMPOTENCY_TTL_HOURS: '0.0003' } });

  it('replays within the TTL and accepts the key as new once it has passed', async () => {
    const partner = uniquePartner();
    const key = newKey();
    const body = { partner_id: partner, payload: { ttl: true } };
    const first = await ingest(context.app, body, withKey(key));
    expectFirst(first);
    expectReplayOf(await ingest(context.app, body, withKey(key)), first);

    await new Promise((resolve) => setTimeout(resolve, 1300));

    const again = await ingest(context.app, body, withKey(key));
    expectFirst(again);
    expect(again.json<Receipt>().id).not.toBe(first.json<Receipt>().id);
    expect(await partnerRows(context.database, partner)).toHaveLength(2);
  });
});

describe('PurgeExpiredIdempotencyKeysCommand', () => {
  const context = useTestApp();

  /** Copies a stored key row `count` times under new keys, already expired. */
  async function insertExpiredCopies(database: TestDatabase, template: string, count: number): Promise<void> {
    const columns = ['scope', 'key', 'fingerprint', 'status', 'response', 'created_at', 'expires_at'];
    const copied = columns.map((name) => {
      if (name === 'key') return `'expired-' || "n"."i"`;
      if (name === 'expires_at') return `'${LONG_AGO}'`;
      return `"t"."${name}"`;
    });
    await database.run(
      `WITH RECURSIVE "n"("i") AS (SELECT 1 UNION ALL SELECT "i" + 1 FROM "n" WHERE "i" < ${count})
       INSERT INTO "idempotency_keys" (${columns.map((name) => `"${name}"`).join(', ')})
       SELECT ${copied.join(', ')} FROM "n", (SELECT * FROM "idempotency_keys" WHERE "key" = ?) AS "t"`,
      template,
    );
  }

  function countKeys(database: TestDatabase): Promise<number> {
    return countRows(database, 'idempotency_keys');
  }

  it('deletes every expired key, in chunks, while ingestion goes on, and keeps the others', async () => {
    const keep = [newKey(), newKey(), newKey()];
    const expire = [newKey(), newKey()];
    const firsts = new Map<string, InjectResponse>();
    for (const key of [...keep, ...expire]) {
      const response = await ingest(context.app, { partner_id: 'acme', payload: { key } }, withKey(key));
      expectFirst(response);
      firsts.set(key, response);
    }
    for (const key of expire) await expireKey(context.database, key);
    await insertExpiredCopies(context.database, keep[0], 2500);
    expect(await countKeys(context.database)).toBe(2505);

    const [deleted, ...ingested] = await Promise.all([
      context.app.get(CommandBus).execute(new PurgeExpiredIdempotencyKeysCommand()),
      ...Array.from({ length: 20 }, (_, n) => ingest(context.app, { partner_id: 'during-purge', payload: { n } })),
    ]);

    expect(deleted).toBe(2502);
    expect(ingested.map((response) => (response as InjectResponse).statusCode)).toEqual(Array(20).fill(201));
    expect(await countKeys(context.database)).toBe(3);
    expect(
      (await context.database.query<{ key: string }>('SELECT "key" FROM "idempotency_keys" ORDER BY "key"')).map(
        (row) => row.key,
      ),
    ).toEqual([...keep].sort());
    for (const key of keep) {
      expectReplayOf(
        await ingest(context.app, { partner_id: 'acme', payload: { key } }, withKey(key)),
        firsts.get(key)!,
      );
    }
    for (const key of expire) {
      expectFirst(await ingest(context.app, { partner_id: 'acme', payload: { key } }, withKey(key)));
    }

    expect(await context.app.get(CommandBus).execute(new PurgeExpiredIdempotencyKeysCommand())).toBe(0);
  });
});

describe('IDEMPOTENCY_TTL_HOURS', () => {
  it.each(['0', '-1', 'soon'])('refuses to start with IDEMPOTENCY_TTL_HOURS=%s, naming the variable', async (value) => {
    const database = await createTestDatabase();
    try {
      await expect(createTestApp(database, { env: { IDEMPOTENCY_TTL_HOURS: value } })).rejects.toThrow(
        'IDEMPOTENCY_TTL_HOURS',
      );
    } finally {
      await database.remove();
    }
  });
});

/**
 * Makes every insert of `partnerId` into ingested_data fail inside the database; answers the
 * function that removes the fault (safe to call more than once).
 * Silences the error log the server writes for each failure (restored by the afterEach).
 */
function installFault(database: TestDatabase, partnerId: string): Promise<() => Promise<void>> {
  jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  return installInsertFault(database, partnerId);
}

/** A 500 or 503 problem document that says nothing of the database error. */
function expectServerFault(response: InjectResponse): void {
  expect([500, 503]).toContain(response.statusCode);
  expectProblem(response, response.statusCode);
  expect(response.body).not.toContain('injected fault');
  expect(response.body).not.toMatch(/trigger|constraint/i);
}
