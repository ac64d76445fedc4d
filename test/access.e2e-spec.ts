import { Logger } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CreateApiKeyCommand } from '../src/access/application/commands/create-api-key.command';
import { RevokeApiKeyCommand } from '../src/access/application/commands/revoke-api-key.command';
import { ListApiKeysQuery } from '../src/access/application/queries/list-api-keys.query';
import type { CreatedApiKeyView } from '../src/access/application/views/api-key.view';
import { countRows, TEST_DATABASE_KIND } from './support/database';
import {
  expectProblem,
  get,
  ingest,
  ingestBatch,
  InjectResponse,
  parseNdjson,
  Receipt,
  StoredRecord,
  UUID_V7,
  waitFor,
} from './support/http';
import { sampleSum, scrapeMetrics } from './support/metrics';
import { createTestApp, createTestDatabase, TestDatabase, useTestApp } from './support/test-app';

type Headers = Record<string, string>;

function createKey(
  app: NestFastifyApplication,
  scope: { partner: string } | 'admin',
  name: string | null = null,
): Promise<CreatedApiKeyView> {
  return app
    .get(CommandBus)
    .execute(
      new CreateApiKeyCommand(scope === 'admin' ? { admin: true } : { admin: false, partnerId: scope.partner }, name),
    );
}

function bearer(key: CreatedApiKeyView | string): Headers {
  return { authorization: `Bearer ${typeof key === 'string' ? key : key.key}` };
}

/** Resolves once the app requires keys: it looked whether keys exist less than 500 ms before the first was created. */
async function untilKeysRequired(app: NestFastifyApplication): Promise<void> {
  await waitFor(async () => (await get(app, '/ingest/all')).statusCode === 401, 'API keys to be required', 1_000);
}

function expectUnauthenticated(response: InjectResponse): void {
  expectProblem(response, 401, { type: 'urn:problem-type:ingestion:unauthenticated' });
  expect(response.headers['www-authenticate']).toBe('Bearer');
}

function expectForbidden(response: InjectResponse): void {
  expectProblem(response, 403, { type: 'urn:problem-type:ingestion:forbidden' });
}

/** Every /ingest… route, as a request with the given headers. */
function everyRoute(id: string): Array<{ method: 'GET' | 'POST'; url: string; body?: unknown }> {
  return [
    { method: 'POST', url: '/ingest', body: { partner_id: 'acme', payload: {} } },
    { method: 'POST', url: '/ingest/batch', body: { records: [{ partner_id: 'acme', payload: {} }] } },
    { method: 'GET', url: '/ingest/all' },
    { method: 'GET', url: '/ingest/partner/acme' },
    { method: 'GET', url: `/ingest/${id}` },
  ];
}

function send(
  app: NestFastifyApplication,
  route: { method: 'GET' | 'POST'; url: string; body?: unknown },
  headers: Headers,
): Promise<InjectResponse> {
  return app.inject({
    method: route.method,
    url: route.url,
    headers: route.body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    payload: route.body === undefined ? undefined : JSON.stringify(route.body),
  });
}

async function partnerRecords(app: NestFastifyApplication, admin: CreatedApiKeyView, partner: string) {
  const response = await get(app, `/ingest/partner/${partner}`, bearer(admin));
  expect(response.statusCode).toBe(200);
  return response.json<Receipt[]>();
}

describe(`access control on ${TEST_DATABASE_KIND}`, () => {
  describe('while no key exists', () => {
    let warnings: jest.SpyInstance;
    beforeAll(() => {
      warnings = jest.spyOn(Logger.prototype, 'warn');
    });
    afterAll(() => warnings.mockRestore());
    const context = useTestApp();

    it('is open, warns at start and says so in readiness', async () => {
      expect(warnings.mock.calls.map((call) => String(call[0]))).toContainEqual(
        expect.stringContaining('access control is off'),
      );
      const response = await ingest(context.app, { partner_id: 'open-acme', payload: { a: 1 } });
      expect(response.statusCode).toBe(201);
      expect((await get(context.app, '/ingest/all')).statusCode).toBe(200);
      const ready = await get(context.app, '/health/ready');
      expect(ready.statusCode).toBe(200);
      expect(ready.json().details.access_control).toEqual({
        status: 'up',
        mode: 'open',
        warning: expect.stringContaining('npm run keys -- create'),
      });
    });

    it('ignores an Authorization header and applies no rate limit', async () => {
      const response = await ingest(context.app, { partner_id: 'open-acme', payload: {} }, bearer('ik_whatever'));
      expect(response.statusCode).toBe(201);
      expect(response.headers['ratelimit-limit']).toBeUndefined();
    });

    it('requires keys within 1 s of the first key, and for good once a key was created (also revoked)', async () => {
      const key = await createKey(context.app, { partner: 'open-acme' });
      const created = Date.now();
      await untilKeysRequired(context.app);
      expect(Date.now() - created).toBeLessThan(1_000);
      expect((await get(context.app, '/health/ready')).json().details.access_control).toEqual({
        status: 'up',
        mode: 'api-keys',
      });

      await context.app.get(CommandBus).execute(new RevokeApiKeyCommand(key.id));
      await new Promise((resolve) => setTimeout(resolve, 600));
      expectUnauthenticated(await ingest(context.app, { partner_id: 'open-acme', payload: {} }));
      expectUnauthenticated(await ingest(context.app, { partner_id: 'open-acme', payload: {} }, bearer(key)));
    });
  });

  describe('with partner and admin keys', () => {
    const context = useTestApp();
    let acme: CreatedApiKeyView;
    let acmeSecond: CreatedApiKeyView;
    let globex: CreatedApiKeyView;
    let admin: CreatedApiKeyView;
    let acmeRecord: Receipt;
    let globexRecord: Receipt;

    beforeAll(async () => {
      acme = await createKey(context.app, { partner: 'acme' }, 'acme production');
      acmeSecond = await createKey(context.app, { partner: 'acme' });
      globex = await createKey(context.app, { partner: 'globex' });
      admin = await createKey(context.app, 'admin', 'operations');
      await untilKeysRequired(context.app);
      acmeRecord = (await ingest(context.app, { partner_id: 'acme', payload: { who: 'acme' } }, bearer(acme))).json();
      globexRecord = (
        await ingest(context.app, { partner_id: 'globex', payload: { who: 'globex' } }, bearer(globex))
      ).json();
      expect(acmeRecord.id).toMatch(UUID_V7);
      expect(globexRecord.id).toMatch(UUID_V7);
    });

    it('refuses every /ingest route without a key, with a wrong one, or with another scheme: 401 and WWW-Authenticate: Bearer', async () => {
      const wrong = `ik_${'A'.repeat(43)}`;
      const credentials: Array<Headers> = [
        {},
        { authorization: '' },
        { authorization: 'Bearer' },
        { authorization: 'Bearer ' },
        { authorization: `Basic ${Buffer.from(`acme:${acme.key}`).toString('base64')}` },
        { authorization: `Token ${acme.key}` },
        bearer(wrong),
        bearer(acme.key.slice(0, -1)),
        bearer(`${acme.key}x`),
        bearer(acme.key.toUpperCase()),
        { authorization: `Bearer ${acme.key} ${acme.key}` },
        bearer('x'.repeat(8_000)),
      ];
      for (const route of everyRoute(acmeRecord.id)) {
        for (const headers of credentials) expectUnauthenticated(await send(context.app, route, headers));
      }
    });

    it('refuses a request without a valid key before its body: 401, not 400, 413 or 415, and the connection closes', async () => {
      const bodies: Array<{ url: string; headers: Headers; payload: string | Buffer }> = [
        { url: '/ingest', headers: { 'content-type': 'application/json' }, payload: '{"partner_id": "acme", "pay' },
        { url: '/ingest', headers: { 'content-type': 'text/plain' }, payload: 'hello' },
        {
          url: '/ingest/batch',
          headers: { 'content-type': 'application/json' },
          payload: Buffer.alloc(5 * 1024 * 1024, 'x'),
        },
      ];
      for (const { url, headers, payload } of bodies) {
        const keyless = await context.app.inject({ method: 'POST', url, headers, payload });
        expectUnauthenticated(keyless);
        expect(keyless.headers.connection).toBe('close');
        const wrong = await context.app.inject({
          method: 'POST',
          url,
          headers: { ...headers, ...bearer(`ik_${'D'.repeat(43)}`) },
          payload,
        });
        expectUnauthenticated(wrong);
      }
      const withKey = bodies.map(({ url, headers, payload }) =>
        context.app.inject({ method: 'POST', url, headers: { ...headers, ...bearer(acme) }, payload }),
      );
      expect((await Promise.all(withKey)).map((response) => response.statusCode)).toEqual([400, 415, 413]);
    });

    it('takes the scheme in any case and the key after any number of spaces', async () => {
      for (const authorization of [`bearer ${acme.key}`, `BEARER  ${acme.key}`]) {
        expect((await get(context.app, `/ingest/${acmeRecord.id}`, { authorization })).statusCode).toBe(200);
      }
    });

    it('keeps /health, /metrics and /docs open', async () => {
      for (const url of ['/health/live', '/health/ready', '/metrics', '/docs/json']) {
        expect({ url, status: (await get(context.app, url)).statusCode }).toEqual({ url, status: 200 });
      }
    });

    it("lets a partner key ingest and read its own partner's records", async () => {
      const created = await ingest(context.app, { partner_id: 'acme', payload: { n: 1 } }, bearer(acme));
      expect(created.statusCode).toBe(201);
      const batch = await ingestBatch(
        context.app,
        { records: [{ partner_id: 'acme', payload: { n: 2 } }] },
        bearer(acme),
      );
      expect(batch.statusCode).toBe(201);

      const byId = await get(context.app, `/ingest/${created.json<Receipt>().id}`, bearer(acme));
      expect(byId.statusCode).toBe(200);
      expect(byId.json<StoredRecord>().payload).toEqual({ n: 1 });
      const list = await get(context.app, '/ingest/partner/acme?include=payload', bearer(acme));
      expect(list.statusCode).toBe(200);
      expect(list.json<Receipt[]>().every((record) => record.partner_id === 'acme')).toBe(true);
      const ndjson = await get(context.app, '/ingest/partner/acme', {
        ...bearer(acme),
        accept: 'application/x-ndjson',
      });
      expect(parseNdjson(ndjson.body).length).toBe(list.json<Receipt[]>().length);

      await waitFor(async () => {
        const keys = await context.app.get(QueryBus).execute(new ListApiKeysQuery());
        return keys.find((key) => key.id === acme.id)?.last_used_at != null;
      }, "the key's last use to be recorded");
    });

    it('refuses another partner in a body with 403, and stores nothing', async () => {
      const before = await countRows(context.database);
      expectForbidden(await ingest(context.app, { partner_id: 'globex', payload: { evil: true } }, bearer(acme)));
      expectForbidden(
        await ingest(
          context.app,
          { partner_id: 'globex', payload: {} },
          { ...bearer(acme), 'idempotency-key': 'k-403' },
        ),
      );
      expect(await countRows(context.database)).toBe(before);
    });

    it('refuses a whole batch that names another partner once, and stores none of it', async () => {
      const before = await countRows(context.database);
      const records = Array.from({ length: 50 }, (_, n) => ({ partner_id: 'acme', payload: { n } }));
      records.splice(37, 0, { partner_id: 'globex', payload: { n: -1 } });
      expectForbidden(await ingestBatch(context.app, { records }, bearer(acme)));
      expectForbidden(await ingestBatch(context.app, { records }, { ...bearer(acme), 'idempotency-key': 'batch-403' }));
      expect(await countRows(context.database)).toBe(before);
      expect((await partnerRecords(context.app, admin, 'globex')).map((record) => record.id)).toEqual([
        globexRecord.id,
      ]);
    });

    it("answers 404 for another partner's record by id, as for an unknown id", async () => {
      const other = expectProblem(await get(context.app, `/ingest/${globexRecord.id}`, bearer(acme)), 404);
      const unknown = expectProblem(
        await get(context.app, '/ingest/01900000-0000-7000-8000-000000000000', bearer(acme)),
        404,
      );
      expect(other.type).toBe(unknown.type);
      expect(other.title).toBe(unknown.title);
    });

    it("refuses another partner's list and /ingest/all to a partner key (403)", async () => {
      expectForbidden(await get(context.app, '/ingest/partner/globex', bearer(acme)));
      expectForbidden(await get(context.app, '/ingest/partner/globex?limit=1', bearer(acme)));
      expectForbidden(await get(context.app, '/ingest/all', bearer(acme)));
      expectForbidden(await get(context.app, '/ingest/all?limit=10&include=payload', bearer(globex)));
    });

    it('lets an admin key do everything', async () => {
      expect((await ingest(context.app, { partner_id: 'initech', payload: {} }, bearer(admin))).statusCode).toBe(201);
      const batch = await ingestBatch(
        context.app,
        {
          records: [
            { partner_id: 'acme', payload: {} },
            { partner_id: 'globex', payload: {} },
          ],
        },
        bearer(admin),
      );
      expect(batch.statusCode).toBe(201);
      expect((await get(context.app, `/ingest/${acmeRecord.id}`, bearer(admin))).statusCode).toBe(200);
      expect((await get(context.app, `/ingest/${globexRecord.id}`, bearer(admin))).statusCode).toBe(200);
      const all = await get(context.app, '/ingest/all', bearer(admin));
      expect(all.statusCode).toBe(200);
      expect(new Set(all.json<Receipt[]>().map((record) => record.partner_id))).toEqual(
        new Set(['acme', 'globex', 'initech']),
      );
      expect((await get(context.app, '/ingest/partner/globex', bearer(admin))).statusCode).toBe(200);
    });

    it('scopes idempotency keys by API key: two partners, or two keys of one partner, each create their record', async () => {
      const key = { 'idempotency-key': 'shared-order-42' };
      const first = await ingest(
        context.app,
        { partner_id: 'acme', payload: { order: 42 } },
        { ...bearer(acme), ...key },
      );
      const other = await ingest(
        context.app,
        { partner_id: 'globex', payload: { order: 42 } },
        { ...bearer(globex), ...key },
      );
      const sameParterOtherKey = await ingest(
        context.app,
        { partner_id: 'acme', payload: { order: 42 } },
        { ...bearer(acmeSecond), ...key },
      );
      for (const response of [first, other, sameParterOtherKey]) {
        expect(response.statusCode).toBe(201);
        expect(response.headers['idempotent-replayed']).toBeUndefined();
      }
      const ids = [first, other, sameParterOtherKey].map((response) => response.json<Receipt>().id);
      expect(new Set(ids).size).toBe(3);

      const replay = await ingest(
        context.app,
        { partner_id: 'acme', payload: { order: 42 } },
        { ...bearer(acme), ...key },
      );
      expect(replay.statusCode).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.json()).toEqual(first.json());
      const reused = await ingest(
        context.app,
        { partner_id: 'acme', payload: { order: 43 } },
        { ...bearer(acme), ...key },
      );
      expect(reused.statusCode).toBe(422);
    });

    it('answers 1,000 wrong keys with 401 and never 5xx, while the right key keeps working', async () => {
      const wrongKeys = Array.from({ length: 1_000 }, (_, n) =>
        n % 2 === 0 ? `ik_${Buffer.alloc(32, n).toString('base64url')}` : `wrong-${n}-${'z'.repeat(n % 300)}`,
      );
      const statuses = new Map<number, number>();
      const rightStatuses: number[] = [];
      for (let start = 0; start < wrongKeys.length; start += 50) {
        const wave = wrongKeys.slice(start, start + 50).map(async (wrong, n) => {
          const response =
            n % 2 === 0
              ? await ingest(context.app, { partner_id: 'acme', payload: { n } }, bearer(wrong))
              : await get(context.app, `/ingest/${acmeRecord.id}`, bearer(wrong));
          statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        });
        const right = get(context.app, `/ingest/${acmeRecord.id}`, bearer(acme)).then((response) =>
          rightStatuses.push(response.statusCode),
        );
        await Promise.all([...wave, right]);
      }
      expect(Object.fromEntries(statuses)).toEqual({ 401: 1_000 });
      expect(rightStatuses).toEqual(Array(20).fill(200));
    });

    it('yields only 400, 401, 403 or 404 for injection and traversal attempts on partner ids and ids', async () => {
      const hostile = [
        "acme' OR '1'='1",
        'acme"; DROP TABLE ingested_data; --',
        '../globex',
        '..%2Fglobex',
        '%2e%2e%2fglobex',
        'acme/../globex',
        'acme%00',
        'acme\u0000',
        'acme%20',
        'globex#',
        '*',
        '%',
        'acme;globex',
        '$where',
        '{"$ne":null}',
        'a'.repeat(65),
        'ａｃｍｅ',
        'acme\r\nX-Injected: 1',
      ];
      const allowed = new Set([400, 401, 403, 404]);
      const globexBefore = await partnerRecords(context.app, admin, 'globex');
      const seen: Array<{ what: string; status: number }> = [];
      for (const headers of [bearer(acme), {}]) {
        for (const value of hostile) {
          const encoded = encodeURIComponent(value);
          const responses = await Promise.all([
            ingest(context.app, { partner_id: value, payload: {} }, headers),
            ingestBatch(
              context.app,
              {
                records: [
                  { partner_id: 'acme', payload: {} },
                  { partner_id: value, payload: {} },
                ],
              },
              headers,
            ),
            get(context.app, `/ingest/partner/${encoded}`, headers),
            get(context.app, `/ingest/${encoded}`, headers),
            get(context.app, `/ingest/partner/acme?after=${encoded}`, headers),
            get(context.app, `/ingest/all?after=${encoded}`, headers),
          ]);
          for (const response of responses) seen.push({ what: value, status: response.statusCode });
        }
        for (const path of [
          '/ingest/partner/../all',
          '/ingest/partner/..%2Fall',
          '/ingest/..%2Fall',
          '/ingest/%2e%2e/all',
        ]) {
          seen.push({ what: path, status: (await get(context.app, path, headers)).statusCode });
        }
      }
      expect(seen.filter((entry) => !allowed.has(entry.status))).toEqual([]);
      expectForbidden(await ingest(context.app, { partner_id: 'ACME', payload: {} }, bearer(acme)));
      expectForbidden(await get(context.app, '/ingest/partner/ACME', bearer(acme)));
      expect(await partnerRecords(context.app, admin, 'globex')).toEqual(globexBefore);
    });

    it('audits each refused request in one info line (the key by id, never a secret) and counts it by reason', async () => {
      const lines = jest.spyOn(Logger.prototype, 'log');
      try {
        const before = await scrapeMetrics(context.app);
        const missing = await get(context.app, '/ingest/all');
        const unknown = await get(context.app, '/ingest/all', bearer(`ik_${'B'.repeat(43)}`));
        const forbidden = await get(context.app, '/ingest/all', bearer(acme));
        const after = await scrapeMetrics(context.app);

        const logged = lines.mock.calls.map((call) => String(call[0]));
        expect(logged).toContainEqual(
          expect.stringMatching(
            new RegExp(`request ${missing.headers['x-request-id']} GET /ingest/all refused: missing_key`),
          ),
        );
        expect(logged).toContainEqual(
          expect.stringMatching(
            new RegExp(`request ${unknown.headers['x-request-id']} GET /ingest/all refused: unknown_key`),
          ),
        );
        expect(logged).toContainEqual(
          expect.stringMatching(
            new RegExp(
              `request ${forbidden.headers['x-request-id']} GET /ingest/all refused with API key ${acme.id}: forbidden`,
            ),
          ),
        );
        expect(logged.join('\n')).not.toContain('ik_');
        for (const reason of ['missing_key', 'unknown_key', 'forbidden']) {
          expect(
            sampleSum(after, 'access_refused_requests_total', { reason }) -
              sampleSum(before, 'access_refused_requests_total', { reason }),
          ).toBe(1);
        }
      } finally {
        lines.mockRestore();
      }
    });

    it('logs one info line per key created or revoked, without the secret', async () => {
      const lines = jest.spyOn(Logger.prototype, 'log');
      try {
        const key = await createKey(context.app, { partner: 'hooli' }, 'ci');
        await context.app.get(CommandBus).execute(new RevokeApiKeyCommand(key.id));
        const logged = lines.mock.calls.map((call) => String(call[0]));
        expect(logged.filter((line) => line.includes(key.id))).toEqual([
          `API key ${key.id} created (partner hooli, name "ci")`,
          `API key ${key.id} revoked (partner hooli)`,
        ]);
        expect(logged.join('\n')).not.toContain(key.key);
      } finally {
        lines.mockRestore();
      }
    });
  });

  describe('revocation, with two instances on one database', () => {
    let database: TestDatabase;
    let first: NestFastifyApplication;
    let second: NestFastifyApplication;

    beforeAll(async () => {
      database = await createTestDatabase();
      first = await createTestApp(database);
      second = await createTestApp(database);
    });

    afterAll(async () => {
      await first?.close();
      await second?.close();
      await database?.remove();
    });

    it('is refused by the other instance within 1 second', async () => {
      const key = await createKey(first, { partner: 'acme' });
      await untilKeysRequired(second);
      const record = (await ingest(second, { partner_id: 'acme', payload: {} }, bearer(key))).json<Receipt>();
      expect(record.id).toMatch(UUID_V7);
      // The second instance has just looked the key up, and caches the lookup.
      expect((await get(second, `/ingest/${record.id}`, bearer(key))).statusCode).toBe(200);

      await first.get(CommandBus).execute(new RevokeApiKeyCommand(key.id));
      const revoked = Date.now();
      await waitFor(
        async () => (await get(second, `/ingest/${record.id}`, bearer(key))).statusCode === 401,
        'the revoked key to be refused',
        1_000,
      );
      expect(Date.now() - revoked).toBeLessThan(1_000);
      expectUnauthenticated(await ingest(first, { partner_id: 'acme', payload: {} }, bearer(key)));
    });
  });

  describe('rate limits', () => {
    const context = useTestApp({ env: { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '5' } });
    let acme: CreatedApiKeyView;
    let globex: CreatedApiKeyView;

    beforeAll(async () => {
      acme = await createKey(context.app, { partner: 'acme' });
      globex = await createKey(context.app, { partner: 'globex' });
      await untilKeysRequired(context.app);
    });

    it('lets a key make RATE_LIMIT_BURST requests, a batch counting as one, then answers 429 problem+json with Retry-After and RateLimit-*', async () => {
      const statuses: number[] = [];
      const first = await ingest(context.app, { partner_id: 'acme', payload: {} }, bearer(acme));
      statuses.push(first.statusCode);
      expect(first.headers['ratelimit-limit']).toBe('5');
      expect(first.headers['ratelimit-remaining']).toBe('4');
      expect(Number(first.headers['ratelimit-reset'])).toBeGreaterThan(0);
      const records = Array.from({ length: 100 }, (_, n) => ({ partner_id: 'acme', payload: { n } }));
      statuses.push((await ingestBatch(context.app, { records }, bearer(acme))).statusCode);
      for (let n = 0; n < 3; n++)
        statuses.push((await get(context.app, '/ingest/partner/acme', bearer(acme))).statusCode);
      expect(statuses).toEqual([201, 201, 200, 200, 200]);

      const before = await countRows(context.database);
      const refused = await ingest(context.app, { partner_id: 'acme', payload: {} }, bearer(acme));
      expectProblem(refused, 429, { type: 'urn:problem-type:ingestion:rate-limited' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(refused.headers['ratelimit-limit']).toBe('5');
      expect(refused.headers['ratelimit-remaining']).toBe('0');
      expect(Number(refused.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(1);
      expect(await countRows(context.database)).toBe(before);

      // Another key has its own counter.
      expect((await get(context.app, '/ingest/partner/globex', bearer(globex))).statusCode).toBe(200);
      const metrics = await scrapeMetrics(context.app);
      expect(sampleSum(metrics, 'access_refused_requests_total', { reason: 'rate_limited' })).toBe(1);
    });
  });

  describe('rate limits shared by two instances through Redis', () => {
    let database: TestDatabase;
    let instances: NestFastifyApplication[];
    const env = { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '10', REDIS_URL: 'redis://127.0.0.1:6379' };

    beforeAll(async () => {
      database = await createTestDatabase();
      instances = [await createTestApp(database, { env }), await createTestApp(database, { env })];
    });

    afterAll(async () => {
      await Promise.all((instances ?? []).map((app) => app.close()));
      await database?.remove();
    });

    it('counts a key once across both instances', async () => {
      const key = await createKey(instances[0], { partner: 'acme' });
      await untilKeysRequired(instances[0]);
      await untilKeysRequired(instances[1]);
      const statuses: number[] = [];
      for (let n = 0; n < 20; n++) {
        const app = instances[n % 2];
        statuses.push((await ingest(app, { partner_id: 'acme', payload: { n } }, bearer(key))).statusCode);
      }
      expect(statuses.filter((status) => status === 201).length).toBe(10);
      expect(statuses.slice(10)).toEqual(Array(10).fill(429));
    });
  });

  describe('rate limits while Redis does not answer', () => {
    const context = useTestApp({
      env: { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3', REDIS_URL: 'redis://127.0.0.1:1' },
    });

    it('fall back to the instance’s own counters: no 5xx, the limit still holds', async () => {
      const key = await createKey(context.app, { partner: 'acme' });
      await untilKeysRequired(context.app);
      const statuses: number[] = [];
      for (let n = 0; n < 5; n++) {
        statuses.push((await ingest(context.app, { partner_id: 'acme', payload: { n } }, bearer(key))).statusCode);
      }
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
    });
  });
});
