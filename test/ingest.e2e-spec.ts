import { ingestBodyLimitFor } from '../src/app.setup';
import {
  expectProblem,
  get,
  ingest,
  ingestRaw,
  JSON_CONTENT_TYPE,
  Receipt,
  RFC3339_UTC_MS,
  UUID_V7,
} from './support/http';
import { countRows, readRow } from './support/database';
import { useTestApp } from './support/test-app';

const MAX_PAYLOAD_BYTES = 262_144;
const PROBLEM_TYPE = (code: string) => new RegExp(`${code}$`);

/** A JSON object of `depth` levels: depth 1 is `{}` itself. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let level = 1; level < depth; level++) value = { child: value };
  return value;
}

/** `{"x":"aaa…"}` whose compact serialisation is exactly `bytes` bytes. */
function payloadOfBytes(bytes: number): Record<string, string> {
  const payload = { x: 'a'.repeat(bytes - '{"x":""}'.length) };
  expect(Buffer.byteLength(JSON.stringify(payload))).toBe(bytes);
  return payload;
}

/** A raw body of exactly `bytes` bytes whose payload is small: the rest is insignificant whitespace. */
function paddedBody(bytes: number): string {
  const head = '{"partner_id":"acme","payload":{"padded":true}';
  const body = head + ' '.repeat(bytes - head.length - 1) + '}';
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}

describe('POST /ingest', () => {
  const context = useTestApp();

  describe('201 Created', () => {
    it('answers with Location and exactly {id, partner_id, timestamp}', async () => {
      const before = Date.now();
      const response = await ingest(context.app, { partner_id: 'acme', payload: { order: 42 } });
      const after = Date.now();

      expect(response.statusCode).toBe(201);
      expect(response.headers['content-type']).toMatch(JSON_CONTENT_TYPE);
      const receipt = response.json<Receipt>();
      expect(Object.keys(receipt).sort()).toEqual(['id', 'partner_id', 'timestamp']);
      expect(receipt.id).toMatch(UUID_V7);
      expect(receipt.partner_id).toBe('acme');
      expect(receipt.timestamp).toMatch(RFC3339_UTC_MS);
      const received = Date.parse(receipt.timestamp);
      expect(received).toBeGreaterThanOrEqual(before);
      expect(received).toBeLessThanOrEqual(after);
      expect(response.headers.location).toBe(`/ingest/${receipt.id}`);
    });

    it('has committed the record when it answers (visible to another connection)', async () => {
      const receipt = (
        await ingest(context.app, { partner_id: 'acme', payload: { committed: 'yes' } })
      ).json<Receipt>();

      expect(await readRow(context.database, receipt.id)).toEqual({
        id: receipt.id,
        partner_id: 'acme',
        timestamp: receipt.timestamp,
        payload: '{"committed":"yes"}',
      });
    });

    it('gives every record a new id, in increasing order', async () => {
      const ids: string[] = [];
      for (let index = 0; index < 20; index++) {
        ids.push((await ingest(context.app, { partner_id: 'acme', payload: { index } })).json<Receipt>().id);
      }
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(ids);
    });

    it.each([
      ['a single character', 'a'],
      ['64 characters', 'p'.repeat(64)],
      ['every allowed character', 'Az09._~-'],
      ['a leading digit', '9lives'],
    ])('accepts a partner_id of %s', async (_case, partnerId) => {
      const response = await ingest(context.app, { partner_id: partnerId, payload: {} });
      expect(response.statusCode).toBe(201);
      expect(response.json<Receipt>().partner_id).toBe(partnerId);
    });

    it('accepts an empty payload object', async () => {
      const response = await ingestRaw(context.app, '{"partner_id":"acme","payload":{}}');
      expect(response.statusCode).toBe(201);
      expect(
        (await get(context.app, response.headers.location as string)).json<{ payload: unknown }>().payload,
      ).toEqual({});
    });

    it.each(['application/json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/JSON'])(
      'accepts the JSON media type written as "%s"',
      async (contentType) => {
        const response = await ingestRaw(context.app, '{"partner_id":"acme","payload":{"a":1}}', {
          'content-type': contentType,
        });
        expect(response.statusCode).toBe(201);
      },
    );

    it('accepts a payload nested exactly 32 levels deep', async () => {
      const payload = nested(32);
      const response = await ingest(context.app, { partner_id: 'acme', payload });
      expect(response.statusCode).toBe(201);
      const read = await get(context.app, response.headers.location as string);
      expect(read.json<{ payload: unknown }>().payload).toEqual(payload);
    });

    it('accepts a payload of exactly MAX_PAYLOAD_BYTES serialised', async () => {
      const response = await ingest(context.app, { partner_id: 'acme', payload: payloadOfBytes(MAX_PAYLOAD_BYTES) });
      expect(response.statusCode).toBe(201);
    });

    it('measures the payload in UTF-8 bytes (a 2-byte character counts twice)', async () => {
      const fits = { x: 'é'.repeat((MAX_PAYLOAD_BYTES - 8) / 2) };
      expect(Buffer.byteLength(JSON.stringify(fits))).toBe(MAX_PAYLOAD_BYTES);
      expect((await ingest(context.app, { partner_id: 'acme', payload: fits })).statusCode).toBe(201);

      const tooLarge = { x: fits.x + 'é' };
      expect(JSON.stringify(tooLarge).length).toBeLessThan(MAX_PAYLOAD_BYTES);
      expectProblem(await ingest(context.app, { partner_id: 'acme', payload: tooLarge }), 413, {
        type: PROBLEM_TYPE('payload-too-large'),
        fields: ['payload'],
      });
    });

    it('applies the payload limit to the compact serialisation, not to the whitespace the client sent', async () => {
      const compact = JSON.stringify(payloadOfBytes(MAX_PAYLOAD_BYTES));
      const indented = compact.replace('{', '{\n  ').replace(':', ' : ').replace(/}$/, '\n}');
      expect(Buffer.byteLength(indented)).toBeGreaterThan(MAX_PAYLOAD_BYTES);

      const response = await ingestRaw(context.app, `{"partner_id":"acme","payload":${indented}}`);
      expect(response.statusCode).toBe(201);
      const read = await get(context.app, response.headers.location as string);
      expect(read.json<{ payload: unknown }>().payload).toEqual(JSON.parse(compact));
    });

    it('accepts a raw body of exactly the route body limit when the payload itself is small', async () => {
      const response = await ingestRaw(context.app, paddedBody(ingestBodyLimitFor(MAX_PAYLOAD_BYTES)));
      expect(response.statusCode).toBe(201);
    });
  });

  describe('400 Bad Request', () => {
    const rejectedBodies: Array<[string, string]> = [
      ['invalid JSON', '{"partner_id": "acme", "payload": {'],
      ['an empty body', ''],
      ['only whitespace', '   '],
      ['a JSON array', '[{"partner_id":"acme","payload":{}}]'],
      ['a JSON string', '"acme"'],
      ['JSON null', 'null'],
      ['a JSON number', '42'],
    ];

    it.each(rejectedBodies)('rejects %s as the body', async (_case, body) => {
      const before = await countRows(context.database);
      const response = await ingestRaw(context.app, body);
      expectProblem(response, 400);
      expect(await countRows(context.database)).toBe(before);
    });

    it('names the invalid JSON in the problem type', async () => {
      expectProblem(await ingestRaw(context.app, '{"partner_id":'), 400, { type: PROBLEM_TYPE('invalid-json') });
    });

    it('rejects a request without a body', async () => {
      expectProblem(await context.app.inject({ method: 'POST', url: '/ingest' }), 400);
    });

    it.each([
      ['missing', { payload: {} }],
      ['empty', { partner_id: '', payload: {} }],
      ['65 characters', { partner_id: 'p'.repeat(65), payload: {} }],
      ['with a space', { partner_id: 'ac me', payload: {} }],
      ['with a slash', { partner_id: 'acme/eu', payload: {} }],
      ['with a non-ASCII letter', { partner_id: 'acmé', payload: {} }],
      ['starting with "-"', { partner_id: '-acme', payload: {} }],
      ['starting with "."', { partner_id: '.acme', payload: {} }],
      ['a number', { partner_id: 42, payload: {} }],
      ['null', { partner_id: null, payload: {} }],
      ['an object', { partner_id: { id: 'acme' }, payload: {} }],
      ['an array', { partner_id: ['acme'], payload: {} }],
      ['a boolean', { partner_id: true, payload: {} }],
    ])('rejects a partner_id that is %s, naming the field', async (_case, body) => {
      const before = await countRows(context.database);
      expectProblem(await ingest(context.app, body), 400, { fields: ['partner_id'] });
      expect(await countRows(context.database)).toBe(before);
    });

    it.each([
      ['missing', { partner_id: 'acme' }],
      ['an array', { partner_id: 'acme', payload: [1, 2] }],
      ['an empty array', { partner_id: 'acme', payload: [] }],
      ['a string', { partner_id: 'acme', payload: '{"a":1}' }],
      ['a number', { partner_id: 'acme', payload: 7 }],
      ['a boolean', { partner_id: 'acme', payload: false }],
      ['null', { partner_id: 'acme', payload: null }],
    ])('rejects a payload that is %s, naming the field', async (_case, body) => {
      const before = await countRows(context.database);
      expectProblem(await ingest(context.app, body), 400, { fields: ['payload'] });
      expect(await countRows(context.database)).toBe(before);
    });

    it('lists every field at fault when both are missing', async () => {
      const problem = expectProblem(await ingest(context.app, {}), 400);
      expect((problem.errors as Array<{ field: string }>).map((error) => error.field).sort()).toEqual([
        'partner_id',
        'payload',
      ]);
    });

    it('rejects a payload nested 33 levels deep', async () => {
      expectProblem(await ingest(context.app, { partner_id: 'acme', payload: nested(33) }), 400, {
        type: PROBLEM_TYPE('invalid-payload'),
        fields: ['payload'],
      });
    });

    it('counts arrays as nesting levels', async () => {
      let value: unknown = 'leaf';
      for (let level = 0; level < 32; level++) value = [value];
      expectProblem(await ingest(context.app, { partner_id: 'acme', payload: { list: value } }), 400, {
        fields: ['payload'],
      });
    });

    it('rejects hostile nesting (20,000 levels) with a 400, not a 500', async () => {
      const depth = 20_000;
      const body = '{"partner_id":"acme","payload":' + '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) + '}';
      expectProblem(await ingestRaw(context.app, body), 400, { fields: ['payload'] });
    });

    it('rejects an unknown top-level field, naming it', async () => {
      expectProblem(await ingest(context.app, { partner_id: 'acme', payload: {}, source: 'web' }), 400, {
        fields: ['source'],
      });
    });

    // Names that Object.prototype also has: a lookup in a plain object must not mistake them for known fields.
    it.each([
      '__proto__',
      'constructor',
      'hasOwnProperty',
      'isPrototypeOf',
      'propertyIsEnumerable',
      '__defineGetter__',
      '__lookupGetter__',
      'toString',
      'valueOf',
    ])('rejects a top-level field named "%s" as unknown, naming it', async (name) => {
      const before = await countRows(context.database);
      const response = await ingestRaw(context.app, `{"partner_id":"acme","payload":{},"${name}":{"polluted":true}}`);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expectProblem(response, 400, { fields: [name] });
      expect(await countRows(context.database)).toBe(before);
    });
  });

  describe('413 Payload Too Large', () => {
    it('rejects a payload one byte over MAX_PAYLOAD_BYTES serialised', async () => {
      const before = await countRows(context.database);
      const response = await ingest(context.app, {
        partner_id: 'acme',
        payload: payloadOfBytes(MAX_PAYLOAD_BYTES + 1),
      });
      expectProblem(response, 413, { type: PROBLEM_TYPE('payload-too-large'), fields: ['payload'] });
      expect(await countRows(context.database)).toBe(before);
    });

    it('rejects a raw body one byte over the route body limit', async () => {
      const before = await countRows(context.database);
      const response = await ingestRaw(context.app, paddedBody(ingestBodyLimitFor(MAX_PAYLOAD_BYTES) + 1));
      expectProblem(response, 413, { type: PROBLEM_TYPE('body-too-large') });
      expect(await countRows(context.database)).toBe(before);
    });

    it('rejects a very large body (4 MiB) before parsing it', async () => {
      const body = '{"partner_id":"acme","payload":{"x":"' + 'a'.repeat(4 * 1024 * 1024) + '"}}';
      expectProblem(await ingestRaw(context.app, body), 413);
    });
  });

  describe('415 Unsupported Media Type', () => {
    const body = '{"partner_id":"acme","payload":{}}';

    it.each([
      ['text/plain', { 'content-type': 'text/plain' }],
      ['application/x-www-form-urlencoded', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['application/xml', { 'content-type': 'application/xml' }],
    ])('rejects %s', async (_case, headers) => {
      const before = await countRows(context.database);
      expectProblem(await ingestRaw(context.app, body, headers), 415, { type: PROBLEM_TYPE('unsupported-media-type') });
      expect(await countRows(context.database)).toBe(before);
    });

    it('rejects a body without a content type', async () => {
      // light-my-request sets no content type for a Buffer payload.
      const response = await context.app.inject({ method: 'POST', url: '/ingest', payload: Buffer.from(body) });
      expectProblem(response, 415);
    });
  });

  describe('with MAX_PAYLOAD_BYTES=1024', () => {
    const smallContext = useTestApp({ env: { MAX_PAYLOAD_BYTES: '1024' } });

    it('applies the configured payload limit', async () => {
      expect((await ingest(smallContext.app, { partner_id: 'acme', payload: payloadOfBytes(1024) })).statusCode).toBe(
        201,
      );
      expectProblem(await ingest(smallContext.app, { partner_id: 'acme', payload: payloadOfBytes(1025) }), 413, {
        fields: ['payload'],
      });
    });

    it('derives the raw body limit from it (ingestBodyLimitFor)', async () => {
      const limit = ingestBodyLimitFor(1024);
      expect((await ingestRaw(smallContext.app, paddedBody(limit))).statusCode).toBe(201);
      expectProblem(await ingestRaw(smallContext.app, paddedBody(limit + 1)), 413, {
        type: PROBLEM_TYPE('body-too-large'),
      });
    });
  });
});
