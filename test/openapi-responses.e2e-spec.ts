import { CommandBus } from '@nestjs/cqrs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import ChowChow, { ChowError } from 'oas3-chow-chow';
import { CreateApiKeyCommand } from '../src/access/application/commands/create-api-key.command';
import { ShutdownState } from '../src/health/shutdown-state';
import { DOCS_JSON_PATH } from '../src/openapi/openapi';
import {
  get,
  ingest,
  ingestBatch,
  ingestBatchRaw,
  ingestOk,
  ingestRaw,
  InjectResponse,
  nextLink,
  waitFor,
} from './support/http';
import { useTestApp } from './support/test-app';

/**
 * Real responses of every route, checked against the document the app serves by a validator
 * that knows OpenAPI 3.0 (oas3-chow-chow): the status must be documented, the body must match
 * the schema of its media type, and the documented headers their schemas (required ones present).
 */

const NDJSON = { accept: 'application/x-ndjson' };
/** Media types whose body is text, not JSON: the string schema is checked against the text. */
const TEXT_MEDIA_TYPES = ['application/x-ndjson', 'text/plain', 'text/event-stream'];

/** Compiling the document's schemas takes seconds on a busy machine (CI runs the Dockerfile smoke alongside). */
const VALIDATORS_TIMEOUT_MS = 30_000;

const LIMITS = { MAX_PAYLOAD_BYTES: '1024', MAX_BATCH_RECORDS: '3', MAX_BATCH_BYTES: '16384' };

interface Validators {
  /** The document as served. */
  documented: ChowChow;
  /** The same, with each media type's `x-itemSchema` as its schema: what one NDJSON line must match. */
  perLine: ChowChow;
}

describe('responses of every route match the OpenAPI document', () => {
  const context = useTestApp({ env: LIMITS });
  let document: OpenAPIObject;
  let validators: Validators;
  const checked = new Map<string, Set<number>>();

  beforeAll(async () => {
    document = (await get(context.app, DOCS_JSON_PATH)).json<OpenAPIObject>();
    validators = await validatorsOf(document);
  }, VALIDATORS_TIMEOUT_MS);

  function expectDocumented(operationId: string, response: InjectResponse, status: number): void {
    expectMatches(validators, operationId, response, status);
    checked.set(operationId, (checked.get(operationId) ?? new Set()).add(status));
  }

  async function ingestReceipt(partnerId: string, payload: Record<string, unknown>): Promise<string> {
    return (await ingestOk(context.app, partnerId, payload)).id;
  }

  describe('POST /ingest', () => {
    it('201 with Location, and the replay with Idempotent-Replayed', async () => {
      const body = { partner_id: 'acme', payload: { order: { id: 'A-1' }, paid: true } };
      const first = await ingest(context.app, body, { 'idempotency-key': 'order-A-1' });
      expectDocumented('ingest', first, 201);
      const replay = await ingest(context.app, body, { 'idempotency-key': 'order-A-1' });
      expectDocumented('ingest', replay, 201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
    });

    it.each([
      ['invalid JSON', () => ingestRaw(context.app, '{"partner_id":')],
      ['an unknown member', () => ingest(context.app, { partner_id: 'acme', payload: {}, extra: 1 })],
      ['an invalid partner_id', () => ingest(context.app, { partner_id: '-acme', payload: {} })],
      ['a payload that is not an object', () => ingest(context.app, { partner_id: 'acme', payload: [1] })],
      [
        'an invalid Idempotency-Key',
        () => ingest(context.app, { partner_id: 'acme', payload: {} }, { 'idempotency-key': '' }),
      ],
    ])('400 for %s', async (_case, send) => {
      expectDocumented('ingest', await send(), 400);
    });

    it('413 for a payload over MAX_PAYLOAD_BYTES, and for a body over its limit', async () => {
      expectDocumented(
        'ingest',
        await ingest(context.app, { partner_id: 'acme', payload: { s: 'x'.repeat(2000) } }),
        413,
      );
      expectDocumented(
        'ingest',
        await ingest(context.app, { partner_id: 'acme', payload: { s: 'x'.repeat(20_000) } }),
        413,
      );
    });

    it('415 for a body that is not JSON', async () => {
      expectDocumented(
        'ingest',
        await ingestRaw(context.app, 'partner_id=acme', { 'content-type': 'text/plain' }),
        415,
      );
    });

    it('422 for an Idempotency-Key used with another body', async () => {
      const key = { 'idempotency-key': 'reused-key' };
      expectDocumented('ingest', await ingest(context.app, { partner_id: 'acme', payload: { n: 1 } }, key), 201);
      expectDocumented('ingest', await ingest(context.app, { partner_id: 'acme', payload: { n: 2 } }, key), 422);
    });
  });

  describe('POST /ingest/batch', () => {
    const record = (n: number) => ({ partner_id: 'globex', payload: { n } });

    it('201 with the receipts, and the replay', async () => {
      const body = { records: [record(1), record(2), record(3)] };
      expectDocumented('ingestBatch', await ingestBatch(context.app, body, { 'idempotency-key': 'batch-1' }), 201);
      const replay = await ingestBatch(context.app, body, { 'idempotency-key': 'batch-1' });
      expectDocumented('ingestBatch', replay, 201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
    });

    it.each([
      ['an invalid record', () => ingestBatch(context.app, { records: [record(1), { partner_id: 'globex' }] })],
      ['more records than MAX_BATCH_RECORDS', () => ingestBatch(context.app, { records: [1, 2, 3, 4].map(record) })],
      ['no record', () => ingestBatch(context.app, { records: [] })],
      ['an unknown member', () => ingestBatch(context.app, { records: [record(1)], extra: true })],
    ])('400 for %s', async (_case, send) => {
      expectDocumented('ingestBatch', await send(), 400);
    });

    it('413 for a body over MAX_BATCH_BYTES, 415 for a body that is not JSON, 422 for a reused key', async () => {
      const big = { records: [{ partner_id: 'globex', payload: { s: 'x'.repeat(20_000) } }] };
      expectDocumented('ingestBatch', await ingestBatch(context.app, big), 413);
      expectDocumented('ingestBatch', await ingestBatchRaw(context.app, '{}', { 'content-type': 'text/csv' }), 415);
      const key = { 'idempotency-key': 'batch-reused' };
      expectDocumented('ingestBatch', await ingestBatch(context.app, { records: [record(7)] }, key), 201);
      expectDocumented('ingestBatch', await ingestBatch(context.app, { records: [record(8)] }, key), 422);
    });
  });

  describe('GET /ingest/{id}', () => {
    it('200 with the payload; 404 for an unknown id and for a string that is not an id', async () => {
      const id = await ingestReceipt('initech', { deep: { a: [1, { b: null }] } });
      expectDocumented('getById', await get(context.app, `/ingest/${id}`), 200);
      expectDocumented('getById', await get(context.app, '/ingest/0193c3a2-5f1e-7c4b-9a2d-3e4f5a6b7c8d'), 404);
      expectDocumented('getById', await get(context.app, '/ingest/not-an-id'), 404);
    });
  });

  describe.each([
    ['listAll', '/ingest/all'],
    ['listByPartner', '/ingest/partner/acme'],
  ])('%s (%s)', (operationId, path) => {
    beforeAll(async () => {
      for (let n = 0; n < 3; n++) await ingestReceipt('acme', { n, tags: ['a', 'b'] });
    });

    it.each([
      ['JSON', {}, ''],
      ['JSON with payloads', {}, '?include=payload'],
      ['NDJSON', NDJSON, ''],
      ['NDJSON with payloads', NDJSON, '?include=payload'],
    ])('200 as %s', async (_case, headers, query) => {
      const response = await get(context.app, `${path}${query}`, headers);
      expectDocumented(operationId, response, 200);
      expect(response.body.length).toBeGreaterThan(2);
    });

    it.each([
      ['JSON', {}],
      ['NDJSON', NDJSON],
    ])('200 as %s, page by page along the Link header', async (_case, headers) => {
      let url: string | undefined = `${path}?limit=2&include=payload`;
      let pages = 0;
      while (url !== undefined) {
        const response = await get(context.app, url, headers);
        expectDocumented(operationId, response, 200);
        url = nextLink(response);
        pages++;
      }
      expect(pages).toBeGreaterThan(1);
    });

    it('200 with an empty list, as JSON and as NDJSON', async () => {
      const future = '?since=2999-01-01T00:00:00Z';
      expectDocumented(operationId, await get(context.app, `${path}${future}`), 200);
      expectDocumented(operationId, await get(context.app, `${path}${future}`, NDJSON), 200);
    });

    it.each([
      ['a limit out of range', '?limit=0'],
      ['a since that is not RFC 3339', '?since=yesterday'],
      ['an after that names no record', '?after=0193c3a2-5f1e-7c4b-9a2d-3e4f5a6b7c8d'],
      ['an unknown parameter', '?colour=blue'],
    ])('400 for %s', async (_case, query) => {
      expectDocumented(operationId, await get(context.app, `${path}${query}`), 400);
    });
  });

  it('listByPartner: 400 for an invalid partner_id', async () => {
    expectDocumented('listByPartner', await get(context.app, '/ingest/partner/-acme'), 400);
  });

  it('GET /metrics: 200, Prometheus text', async () => {
    expectDocumented('scrape', await get(context.app, '/metrics'), 200);
  });

  it('GET /health/live and /health/ready: 200; readiness 503 once shutdown has begun', async () => {
    expectDocumented('live', await get(context.app, '/health/live'), 200);
    expectDocumented('ready', await get(context.app, '/health/ready'), 200);
    context.app.get(ShutdownState).begin();
    expectDocumented('ready', await get(context.app, '/health/ready'), 503);
  });

  it('stream: 400 for an unknown Last-Event-ID or parameter; the token: 200 with nulls while the service is open', async () => {
    const unknown = { 'last-event-id': '0193c3a2-5f1e-7c4b-9a2d-3e4f5a6b7c8d' };
    expectDocumented('stream', await get(context.app, '/ingest/stream', unknown), 400);
    expectDocumented('stream', await get(context.app, '/ingest/stream?colour=blue'), 400);
    const token = await context.app.inject({ method: 'POST', url: '/ingest/stream/token' });
    expectDocumented('issue', token, 200);
    expect(token.json()).toEqual({ token: null, expires_at: null });
  });

  it('stream: 200 with the events, ended by the drain; 503 while draining', async () => {
    const streamed = get(context.app, '/ingest/stream?include=payload');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const id = await ingestReceipt('acme', { streamed: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    context.app.get(ShutdownState).drain();

    const response = await streamed;
    expectDocumented('stream', response, 200);
    expect(response.body).toContain(`id: ${id}\n`);
    expectDocumented('stream', await get(context.app, '/ingest/stream'), 503);
  });

  it('exercised every operation of the document (this file runs in order)', () => {
    const operations = Object.values(document.paths).flatMap((item) =>
      Object.values(item).flatMap((operation: { operationId?: string }) => operation.operationId ?? []),
    );
    expect([...checked.keys()].sort()).toEqual([...operations].sort());
  });
});

type Send = (app: NestFastifyApplication, headers: Record<string, string>) => Promise<InjectResponse>;

describe('responses of access control match the OpenAPI document', () => {
  // A burst of 2 requests per key: a key's third request within 2 seconds is a 429.
  const context = useTestApp({ env: { ...LIMITS, RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '2' } });
  let validators: Validators;
  let globexRecord: string;

  /** A new key, so that each test has its own rate limit. */
  async function bearer(scope: { partner: string } | 'admin'): Promise<Record<string, string>> {
    const created = await context.app
      .get(CommandBus)
      .execute(
        new CreateApiKeyCommand(scope === 'admin' ? { admin: true } : { admin: false, partnerId: scope.partner }),
      );
    return { authorization: `Bearer ${created.key}` };
  }

  beforeAll(async () => {
    validators = await validatorsOf((await get(context.app, DOCS_JSON_PATH)).json<OpenAPIObject>());
    globexRecord = (await ingestOk(context.app, 'globex', { n: 1 })).id;
    await bearer('admin');
    // The app looked whether keys exist at start; it looks again within 500 ms.
    await waitFor(async () => (await get(context.app, '/ingest/all')).statusCode === 401, 'keys to be required', 2_000);
  }, VALIDATORS_TIMEOUT_MS);

  const operations: Array<[string, Send]> = [
    ['ingest', (app, headers) => ingest(app, { partner_id: 'acme', payload: {} }, headers)],
    ['ingestBatch', (app, headers) => ingestBatch(app, { records: [{ partner_id: 'acme', payload: {} }] }, headers)],
    ['listAll', (app, headers) => get(app, '/ingest/all', headers)],
    ['listByPartner', (app, headers) => get(app, '/ingest/partner/acme', headers)],
    ['getById', (app, headers) => get(app, `/ingest/${globexRecord}`, headers)],
  ];

  it.each(operations)(
    '%s: 401 with WWW-Authenticate without a key, with a malformed or unknown one, and with Basic credentials',
    async (operationId, send) => {
      const wrong = ['ik_wrong', `ik_${'A'.repeat(43)}`].map((key) => ({ authorization: `Bearer ${key}` }));
      for (const headers of [{}, ...wrong, { authorization: 'Basic YTpi' }]) {
        const response = await send(context.app, headers);
        expectMatches(validators, operationId, response, 401);
        expect(response.headers['www-authenticate']).toBe('Bearer');
      }
    },
  );

  it.each<[string, Send]>([
    ['stream', (app, headers) => get(app, '/ingest/stream?partner_id=acme', headers)],
    ['issue', (app, headers) => app.inject({ method: 'POST', url: '/ingest/stream/token', headers })],
  ])('%s: 401 with WWW-Authenticate without a key, and with an unknown one', async (operationId, send) => {
    const credentials: Array<Record<string, string>> = [{}, { authorization: `Bearer ik_${'A'.repeat(43)}` }];
    for (const headers of credentials) {
      const response = await send(context.app, headers);
      expectMatches(validators, operationId, response, 401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('stream: 403 for a partner key without partner_id, or with another partner', async () => {
    const acme = await bearer({ partner: 'acme' });
    expectMatches(validators, 'stream', await get(context.app, '/ingest/stream', acme), 403);
    expectMatches(validators, 'stream', await get(context.app, '/ingest/stream?partner_id=globex', acme), 403);
  });

  it('issue: 200 with a token for a key, then 429 past its rate limit', async () => {
    const headers = await bearer({ partner: 'acme' });
    const send = () => context.app.inject({ method: 'POST', url: '/ingest/stream/token', headers });
    const issued = await send();
    expectMatches(validators, 'issue', issued, 200);
    expect(issued.json()).toEqual({ token: expect.stringMatching(/^st_/), expires_at: expect.any(String) });
    await send();
    expectMatches(validators, 'issue', await send(), 429);
  });

  it.each<[string, Send]>([
    ['ingest', (app, headers) => ingest(app, { partner_id: 'globex', payload: {} }, headers)],
    ['ingestBatch', (app, headers) => ingestBatch(app, { records: [{ partner_id: 'globex', payload: {} }] }, headers)],
    ['listAll', (app, headers) => get(app, '/ingest/all', headers)],
    ['listByPartner', (app, headers) => get(app, '/ingest/partner/globex', headers)],
  ])('%s: 403 for a partner key outside its partner', async (operationId, send) => {
    expectMatches(validators, operationId, await send(context.app, await bearer({ partner: 'acme' })), 403);
  });

  it("getById: 404 for another partner's record with a partner key, 200 with an admin key", async () => {
    expectMatches(
      validators,
      'getById',
      await get(context.app, `/ingest/${globexRecord}`, await bearer({ partner: 'acme' })),
      404,
    );
    expectMatches(validators, 'getById', await get(context.app, `/ingest/${globexRecord}`, await bearer('admin')), 200);
  });

  it.each(operations)(
    '%s: RateLimit-* on the success, then 429 with Retry-After and RateLimit-*',
    async (operationId, send) => {
      const headers = await bearer(
        operationId === 'getById' || operationId === 'listAll' ? 'admin' : { partner: 'acme' },
      );
      const first = await send(context.app, headers);
      expectMatches(validators, operationId, first, operationId.startsWith('ingest') ? 201 : 200);
      expect(first.headers['ratelimit-limit']).toBe('2');
      expect(first.headers['ratelimit-remaining']).toBe('1');
      await send(context.app, headers);
      const refused = await send(context.app, headers);
      expectMatches(validators, operationId, refused, 429);
      expect(refused.headers['retry-after']).toEqual(expect.stringMatching(/^[1-9]\d*$/));
      expect(refused.headers['ratelimit-remaining']).toBe('0');
    },
  );
});

/** Validators of the document as served, and of its NDJSON lines. */
async function validatorsOf(document: OpenAPIObject): Promise<Validators> {
  return {
    documented: await ChowChow.create(structuredClone(document), CHOW_OPTIONS),
    perLine: await ChowChow.create(withItemSchemas(structuredClone(document)), CHOW_OPTIONS),
  };
}

/** Validates one response of `operationId`, and each NDJSON line against the item schema. */
function expectMatches(validators: Validators, operationId: string, response: InjectResponse, status: number): void {
  expect({ operationId, status: response.statusCode, body: response.body.slice(0, 500) }).toEqual({
    operationId,
    status,
    body: expect.any(String),
  });
  const header = stringHeaders(response);
  const mediaType = (header['content-type'] ?? '').split(';')[0].trim();
  const text = TEXT_MEDIA_TYPES.includes(mediaType);
  validate(validators.documented, operationId, {
    status,
    header,
    body: text ? response.body : response.json(),
  });
  if (mediaType === 'application/x-ndjson') {
    for (const line of response.body.split('\n').slice(0, -1)) {
      validate(validators.perLine, operationId, { status, header, body: JSON.parse(line) as unknown });
    }
  }
}

const CHOW_OPTIONS = {
  // Header values are text: `Retry-After: 1` is the integer its schema says.
  headerAjvOptions: { coerceTypes: true },
  requestBodyAjvOptions: { keywords: ['x-max-bytes', 'x-max-depth'] },
};

function validate(
  validator: ChowChow,
  operationId: string,
  response: { status: number; header: Record<string, string>; body: unknown },
): void {
  try {
    validator.validateResponseByOperationId(operationId, response);
  } catch (error) {
    if (!(error instanceof ChowError)) throw error;
    throw new Error(
      `${operationId} ${response.status} does not match the document: ${JSON.stringify(error.toJSON(), null, 2)}\n` +
        `headers: ${JSON.stringify(response.header)}\nbody: ${JSON.stringify(response.body).slice(0, 500)}`,
    );
  }
}

/** Every media type that gives its items' schema in `x-itemSchema` gets it as its schema. */
function withItemSchemas(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item) as Array<{
      responses?: Record<string, { content?: Record<string, Record<string, unknown>> }>;
    }>) {
      for (const response of Object.values(operation.responses ?? {})) {
        for (const media of Object.values(response.content ?? {})) {
          if (media['x-itemSchema'] !== undefined) media.schema = media['x-itemSchema'];
        }
      }
    }
  }
  return document;
}

function stringHeaders(response: InjectResponse): Record<string, string> {
  return Object.fromEntries(
    Object.entries(response.headers).flatMap(([name, value]) =>
      value === undefined ? [] : [[name, Array.isArray(value) ? value.join(', ') : String(value)]],
    ),
  );
}
