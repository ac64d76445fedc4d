import { countRows, readRow } from './support/database';
import { expectProblem, ingestBatchRaw, ingestRaw, Receipt } from './support/http';
import { listenOnFreePort, rawExchange, requestHead } from './support/raw-http';
import { useTestApp } from './support/test-app';

const INVALID_ENCODING = 'urn:problem-type:ingestion:invalid-encoding';

/** A body whose payload string holds `bytes` as they are (latin1 keeps each byte). */
function bodyWith(bytes: string): Buffer {
  return Buffer.from(`{"partner_id":"acme","payload":{"text":"${bytes}"}}`, 'latin1');
}

/** Chunked transfer coding of `body` in chunks of `size` bytes. */
function chunkedParts(body: Buffer, size: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < body.length; offset += size) {
    const chunk = body.subarray(offset, offset + size);
    parts.push(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
  }
  return [...parts, Buffer.from('0\r\n\r\n')];
}

describe('request body encodings (UTF-8 only, no charset other than utf-8, no Content-Encoding)', () => {
  const context = useTestApp();
  let port: number;

  beforeAll(async () => {
    port = await listenOnFreePort(context.app);
  });

  const invalid: Array<[string, string]> = [
    ['\\xff\\xfe', '\xff\xfe'],
    ['a truncated 4-byte sequence (F0 9F 98)', '\xf0\x9f\x98'],
    ['a lone continuation byte', 'a\x80b'],
    ['an overlong encoding of "/" (C0 AF)', '\xc0\xaf'],
    ['a UTF-16 surrogate (ED A0 80)', '\xed\xa0\x80'],
  ];

  it.each(invalid)('refuses %s with Content-Length: 400 invalid-encoding, storing nothing', async (_case, bytes) => {
    const rowsBefore = await countRows(context.database);

    const response = await ingestRaw(context.app, bodyWith(bytes));

    const problem = expectProblem(response, 400, { type: INVALID_ENCODING });
    expect(problem.detail).toMatch(/UTF-8/);
    expect(await countRows(context.database)).toBe(rowsBefore);
  });

  it.each(invalid)('refuses %s sent chunked: 400 invalid-encoding, storing nothing', async (_case, bytes) => {
    const rowsBefore = await countRows(context.database);

    const exchange = await rawExchange(port, [
      requestHead('POST /ingest HTTP/1.1', {
        'Content-Type': 'application/json',
        'Transfer-Encoding': 'chunked',
        Connection: 'close',
      }),
      ...chunkedParts(bodyWith(bytes), 7),
    ]);

    expect(exchange.response?.status).toBe(400);
    expect(JSON.parse(exchange.response!.body)).toEqual(expect.objectContaining({ type: INVALID_ENCODING }));
    expect(await countRows(context.database)).toBe(rowsBefore);
  });

  it('refuses invalid UTF-8 in a batch', async () => {
    const body = Buffer.from('{"records":[{"partner_id":"acme","payload":{"a":"\xff"}}]}', 'latin1');

    expectProblem(await ingestBatchRaw(context.app, body), 400, { type: INVALID_ENCODING });
  });

  it('stores multi-byte characters split across chunks exactly as sent', async () => {
    const text = 'héllo 😀 世界';
    const body = Buffer.from(JSON.stringify({ partner_id: 'acme', payload: { text } }));

    const exchange = await rawExchange(port, [
      requestHead('POST /ingest HTTP/1.1', {
        'Content-Type': 'application/json',
        'Transfer-Encoding': 'chunked',
        Connection: 'close',
      }),
      ...chunkedParts(body, 3),
    ]);

    expect(exchange.response?.status).toBe(201);
    const { id } = JSON.parse(exchange.response!.body) as Receipt;
    expect(JSON.parse((await readRow(context.database, id))!.payload)).toEqual({ text });
  });

  it.each([
    'application/json; charset=latin1',
    'application/json; charset=ISO-8859-1',
    'application/json;charset=utf-16',
  ])('answers 415 to Content-Type: %s', async (contentType) => {
    const rowsBefore = await countRows(context.database);

    const response = await ingestRaw(context.app, '{"partner_id":"acme","payload":{}}', {
      'content-type': contentType,
    });

    const problem = expectProblem(response, 415, { type: 'urn:problem-type:ingestion:unsupported-media-type' });
    expect(problem.detail).toMatch(/charset/);
    expect(await countRows(context.database)).toBe(rowsBefore);
  });

  it.each([
    'application/json; charset=utf-8',
    'application/json; charset=UTF-8',
    'application/json; charset="utf-8"',
    'application/json;charset=utf8',
  ])('accepts Content-Type: %s', async (contentType) => {
    const response = await ingestRaw(context.app, '{"partner_id":"acme","payload":{}}', {
      'content-type': contentType,
    });

    expect(response.statusCode).toBe(201);
  });

  it.each(['gzip', 'deflate', 'br', 'identity, gzip'])(
    'answers 415 with Accept-Encoding: identity to Content-Encoding: %s',
    async (encoding) => {
      const response = await ingestRaw(context.app, '{"partner_id":"acme","payload":{}}', {
        'content-type': 'application/json',
        'content-encoding': encoding,
      });

      expectProblem(response, 415, { type: 'urn:problem-type:ingestion:unsupported-content-encoding' });
      expect(response.headers['accept-encoding']).toBe('identity');
    },
  );

  it('decides on Content-Encoding before reading the body', async () => {
    const exchange = await rawExchange(
      port,
      [
        requestHead('POST /ingest HTTP/1.1', {
          'Content-Type': 'application/json',
          'Content-Length': 1000,
          'Content-Encoding': 'gzip',
        }),
      ],
      { waitMs: 2000 },
    );

    expect(exchange.response?.status).toBe(415);
    expect(exchange.elapsedMs).toBeLessThan(1000);
  });

  it('accepts Content-Encoding: identity', async () => {
    const response = await ingestRaw(context.app, '{"partner_id":"acme","payload":{}}', {
      'content-type': 'application/json',
      'content-encoding': 'identity',
    });

    expect(response.statusCode).toBe(201);
  });
});
