import { connect, Socket } from 'node:net';
import { countRows } from './support/database';
import { expectProblem, get, ingest, PROBLEM_CONTENT_TYPE } from './support/http';
import { listenOnFreePort, RawExchange, rawExchange, requestHead } from './support/raw-http';
import { useTestApp } from './support/test-app';

const HEADERS_TIMEOUT_MS = 500;
const REQUEST_TIMEOUT_MS = 1000;
/** Node checks the timeouts periodically; the service does so often enough to stay within this. */
const TIMEOUT_SLACK_MS = 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PROBLEM_TYPE = (code: string) => `urn:problem-type:ingestion:${code}`;
const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/**
 * A problem+json response written on a connection that is then closed: status, media type,
 * the security header, an X-Request-Id, and the problem document. Answers the document.
 */
function expectClosingProblem(exchange: RawExchange, status: number, type: string): Record<string, unknown> {
  const { response } = exchange;
  expect({ status: response?.status, received: exchange.received.slice(0, 200) }).toEqual({
    status,
    received: expect.any(String),
  });
  expect(exchange.closed).toBe(true);
  expect(response!.headers).toEqual(
    expect.objectContaining({
      'content-type': expect.stringMatching(PROBLEM_CONTENT_TYPE),
      connection: 'close',
      'x-request-id': expect.stringMatching(/^\S{8,}$/),
      'x-content-type-options': 'nosniff',
    }),
  );
  const problem = JSON.parse(response!.body) as Record<string, unknown>;
  expect(problem).toEqual({ type, title: expect.any(String), status, detail: expect.any(String) });
  // One response, then the connection closes: nothing of a second one.
  expect(exchange.received.match(/(?:^|\r\n)HTTP\/1\.1 \d{3} /g)).toHaveLength(1);
  return problem;
}

describe('the HTTP edge against slow, careless and hostile clients', () => {
  const context = useTestApp({
    env: {
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    },
  });
  let port: number;

  beforeAll(async () => {
    port = await listenOnFreePort(context.app);
  });

  describe('slow clients (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS)', () => {
    it('cuts off a client that never finishes its headers with 408 problem+json', async () => {
      const exchange = await rawExchange(port, ['POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty']);

      expectClosingProblem(exchange, 408, PROBLEM_TYPE('request-timeout'));
      expect(exchange.response!.headers['x-request-id']).toMatch(UUID);
      expect(exchange.elapsedMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
      expect(exchange.elapsedMs).toBeLessThan(HEADERS_TIMEOUT_MS + TIMEOUT_SLACK_MS);
    });

    it('cannot be held open by headers sent a line at a time', async () => {
      const lines = Array.from({ length: 20 }, (_, index) => [`X-Drip-${index}: 1\r\n`, { pauseMs: 150 }]).flat();
      const exchange = await rawExchange(port, ['GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n', ...lines]);

      expectClosingProblem(exchange, 408, PROBLEM_TYPE('request-timeout'));
      expect(exchange.elapsedMs).toBeLessThan(HEADERS_TIMEOUT_MS + TIMEOUT_SLACK_MS);
    });

    it('cuts off a body shorter than its Content-Length with 408 and the request id, storing nothing', async () => {
      const rowsBefore = await countRows(context.database);
      const exchange = await rawExchange(port, [
        requestHead('POST /ingest HTTP/1.1', {
          'Content-Type': 'application/json',
          'Content-Length': 100,
          'X-Request-Id': 'short-body-1',
        }),
        '{"partner_id":"acme","payload":{}}',
      ]);

      expectClosingProblem(exchange, 408, PROBLEM_TYPE('request-timeout'));
      expect(exchange.response!.headers['x-request-id']).toBe('short-body-1');
      expect(exchange.elapsedMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
      expect(exchange.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + TIMEOUT_SLACK_MS);
      expect(await countRows(context.database)).toBe(rowsBefore);
    });

    it('cuts off a chunked body that trickles in for longer than HTTP_REQUEST_TIMEOUT_MS', async () => {
      const body = '{"partner_id":"acme","payload":{"slow":true}}';
      const chunks = [...body].map((character) => [`1\r\n${character}\r\n`, { pauseMs: 100 }]).flat();
      const exchange = await rawExchange(port, [
        requestHead('POST /ingest HTTP/1.1', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }),
        ...chunks,
        '0\r\n\r\n',
      ]);

      expectClosingProblem(exchange, 408, PROBLEM_TYPE('request-timeout'));
      expect(exchange.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + TIMEOUT_SLACK_MS);
    });

    it('serves a request sent in pieces within the timeouts, and keeps the connection alive after it', async () => {
      const body = JSON.stringify({ partner_id: 'acme', payload: { pieces: true } });
      const exchange = await rawExchange(
        port,
        [
          'POST /ingest HTTP/1.1\r\nHost: 127.0.0.1\r\n',
          { pauseMs: 200 },
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
          { pauseMs: 200 },
          body,
        ],
        // Idle longer than both timeouts: an idle keep-alive connection is not timed by them.
        { waitMs: REQUEST_TIMEOUT_MS + TIMEOUT_SLACK_MS + 500 },
      );

      expect(exchange.response?.status).toBe(201);
      expect(exchange.closed).toBe(false);
    });
  });

  describe('requests the HTTP parser refuses: problem+json, X-Request-Id, then the connection closes', () => {
    const chunked = { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' };
    it.each<[string, number, string, string[]]>([
      [
        'a bad chunk size',
        400,
        'malformed-request',
        [requestHead('POST /ingest HTTP/1.1', chunked), 'zz\r\n{}\r\n0\r\n\r\n'],
      ],
      [
        'Content-Length together with Transfer-Encoding',
        400,
        'malformed-request',
        [requestHead('POST /ingest HTTP/1.1', { ...chunked, 'Content-Length': 2 }), '2\r\n{}\r\n0\r\n\r\n'],
      ],
      ['a bare LF line ending', 400, 'malformed-request', ['GET /health/live HTTP/1.1\nHost: 127.0.0.1\n\n']],
      [
        'an invalid header name',
        400,
        'malformed-request',
        ['GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: 1\r\n\r\n'],
      ],
      ['a request line that is not HTTP', 400, 'malformed-request', ['HELLO THERE\r\n\r\n']],
      [
        'headers over 16 KiB',
        431,
        'header-fields-too-large',
        [requestHead('GET /health/live HTTP/1.1', { 'X-Big': 'a'.repeat(20_000) })],
      ],
      [
        'a URL over 16 KiB',
        431,
        'header-fields-too-large',
        [requestHead(`GET /ingest/${'a'.repeat(20_000)} HTTP/1.1`)],
      ],
      [
        'chunk extensions over 16 KiB',
        413,
        'chunk-extensions-too-large',
        [requestHead('POST /ingest HTTP/1.1', chunked), `2;${'x'.repeat(20_000)}\r\n{}\r\n0\r\n\r\n`],
      ],
    ])('%s: %d', async (_case, status, code, parts) => {
      const exchange = await rawExchange(port, parts);

      const problem = expectClosingProblem(exchange, status, PROBLEM_TYPE(code));
      expect(problem.detail).not.toMatch(/aaaa|xxxx/);
    });

    it("answers with the request's own X-Request-Id when its head was read before the error", async () => {
      const exchange = await rawExchange(port, [
        requestHead('POST /ingest HTTP/1.1', {
          'Content-Type': 'application/json',
          'Transfer-Encoding': 'chunked',
          'X-Request-Id': 'bad-chunk-1',
        }),
        'zz\r\n',
      ]);

      expectClosingProblem(exchange, 400, PROBLEM_TYPE('malformed-request'));
      expect(exchange.response!.headers['x-request-id']).toBe('bad-chunk-1');
    });

    it('answers 400 problem+json to an HTTP/1.1 request without Host', async () => {
      const exchange = await rawExchange(port, ['GET /health/live HTTP/1.1\r\nX-Request-Id: no-host-1\r\n\r\n']);

      expectClosingProblem(exchange, 400, PROBLEM_TYPE('missing-host'));
      expect(exchange.response!.headers['x-request-id']).toBe('no-host-1');
    });

    it('serves an HTTP/1.0 request without Host', async () => {
      const exchange = await rawExchange(port, ['GET /health/live HTTP/1.0\r\n\r\n']);

      expect(exchange.response?.status).toBe(200);
    });

    it('answers 417 problem+json to an Expect other than 100-continue, storing nothing', async () => {
      const rowsBefore = await countRows(context.database);
      const body = JSON.stringify({ partner_id: 'acme', payload: {} });
      const exchange = await rawExchange(port, [
        requestHead('POST /ingest HTTP/1.1', {
          'Content-Type': 'application/json',
          'Content-Length': body.length,
          Expect: 'something-else',
          'X-Request-Id': 'expect-1',
        }),
        body,
      ]);

      expectClosingProblem(exchange, 417, PROBLEM_TYPE('expectation-failed'));
      expect(exchange.response!.headers['x-request-id']).toBe('expect-1');
      expect(await countRows(context.database)).toBe(rowsBefore);
    });

    it('still serves Expect: 100-continue', async () => {
      const body = JSON.stringify({ partner_id: 'acme', payload: {} });
      const exchange = await rawExchange(
        port,
        [
          requestHead('POST /ingest HTTP/1.1', {
            'Content-Type': 'application/json',
            'Content-Length': body.length,
            Expect: '100-continue',
            Connection: 'close',
          }),
          { pauseMs: 100 },
          body,
        ],
        { waitMs: 2000 },
      );

      expect(exchange.received).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 /);
    });
  });

  describe('methods and paths', () => {
    it.each([
      ['DELETE', '/ingest/all', 'GET, HEAD, OPTIONS'],
      ['PUT', '/ingest', 'POST, OPTIONS'],
      ['GET', '/ingest', 'POST, OPTIONS'],
      ['POST', '/ingest/0197a0b4-5c1e-7a3b-9f4e-3d2c1b0a9f8e', 'GET, HEAD, OPTIONS'],
      ['POST', '/health/live', 'GET, HEAD, OPTIONS'],
      ['PATCH', '/metrics', 'GET, HEAD, OPTIONS'],
    ])('%s %s: 405 problem+json with Allow: %s', async (method, url, allow) => {
      const response = await context.app.inject({ method: method as 'GET', url, headers: { 'x-request-id': '405-1' } });

      expectProblem(response, 405, { type: PROBLEM_TYPE('method-not-allowed') });
      expect(response.headers.allow).toBe(allow);
      expect(response.headers['x-request-id']).toBe('405-1');
    });

    it('answers OPTIONS on a known path with 204 and Allow', async () => {
      const response = await context.app.inject({ method: 'OPTIONS', url: '/ingest/partner/acme' });

      expect(response.statusCode).toBe(204);
      expect(response.headers.allow).toBe('GET, HEAD, OPTIONS');
      expect(response.body).toBe('');
    });

    it('answers HEAD wherever GET is served', async () => {
      expect((await context.app.inject({ method: 'HEAD', url: '/health/live' })).statusCode).toBe(200);
    });

    it.each(['GET', 'DELETE', 'OPTIONS'])('answers %s on an unknown path with 404 and no Allow', async (method) => {
      const response = await context.app.inject({ method: method as 'GET', url: '/nowhere/at/all' });

      expectProblem(response, 404);
      expect(response.headers.allow).toBeUndefined();
    });

    it('answers a path that is not valid percent-encoding with 400 problem+json', async () => {
      const response = await get(context.app, '/ingest/%zz', { 'x-request-id': 'bad-url-1' });

      expectProblem(response, 400, { type: PROBLEM_TYPE('invalid-url') });
      expect(response.headers['x-request-id']).toBe('bad-url-1');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    });

    it("quotes at most 100 characters of an unknown path in a 404's detail", async () => {
      const response = await get(context.app, `/${'x'.repeat(15_000)}?secret=1`);

      const problem = expectProblem(response, 404);
      expect(problem.detail).toContain(`/${'x'.repeat(99)}`);
      expect(problem.detail).not.toContain('x'.repeat(100));
      expect((problem.detail as string).length).toBeLessThan(200);
      expect(problem.detail).not.toContain('secret');
    });
  });

  describe('security headers', () => {
    it.each<[string, () => Promise<{ statusCode: number; headers: Record<string, unknown> }>]>([
      ['201', () => ingest(context.app, { partner_id: 'acme', payload: {} })],
      ['400', () => ingest(context.app, { partner_id: '-' })],
      ['404', () => get(context.app, '/nowhere')],
      ['405', () => context.app.inject({ method: 'DELETE', url: '/ingest' })],
      ['a list', () => get(context.app, '/ingest/all?limit=1')],
      ['health', () => get(context.app, '/health/live')],
      ['metrics', () => get(context.app, '/metrics')],
    ])('%s: nosniff and no-store', async (_case, send) => {
      const response = await send();

      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['cache-control']).toBe('no-store');
    });

    it('serves the API docs with a Content-Security-Policy the page needs nothing beyond', async () => {
      const page = await get(context.app, '/docs');

      expect(page.statusCode).toBe(200);
      expect(page.headers['content-security-policy']).toBe(DOCS_CSP);
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      // 'script-src self' holds only while the page has no inline script and no inline handler.
      expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(page.body).not.toMatch(/\son[a-z]+\s*=/i);
      const init = await get(context.app, '/docs/swagger-ui-init.js');
      expect(init.statusCode).toBe(200);
      expect(init.headers['content-type']).toMatch(/javascript/);
      expect(init.headers['x-content-type-options']).toBe('nosniff');
    });
  });
});

describe('HTTP_MAX_CONNECTIONS', () => {
  const context = useTestApp({ env: { HTTP_MAX_CONNECTIONS: '3' } });
  let port: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    port = await listenOnFreePort(context.app);
  });

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
  });

  function open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket));
      socket.once('error', reject);
      sockets.push(socket);
    });
  }

  it('closes a connection past the limit at once, and takes new ones when one closes', async () => {
    const held = [await open(), await open(), await open()];
    await new Promise((resolve) => setTimeout(resolve, 100));

    const refused = await rawExchange(port, [requestHead('GET /health/live HTTP/1.1')], { waitMs: 1000 });
    expect(refused).toEqual(expect.objectContaining({ closed: true, received: '' }));

    held[0].destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const served = await rawExchange(port, [requestHead('GET /health/live HTTP/1.1', { Connection: 'close' })]);
    expect(served.response?.status).toBe(200);
  });
});

describe('HTTP_KEEP_ALIVE_TIMEOUT_MS', () => {
  const keepAliveTimeoutMs = 1500;
  const context = useTestApp({ env: { HTTP_KEEP_ALIVE_TIMEOUT_MS: String(keepAliveTimeoutMs) } });
  let port: number;

  beforeAll(async () => {
    port = await listenOnFreePort(context.app);
  });

  it('tells the client how long an idle connection is kept, and closes it after that long', async () => {
    const exchange = await rawExchange(port, [requestHead('GET /health/live HTTP/1.1')], { waitMs: 5000 });

    expect(exchange.response?.headers['keep-alive']).toBe('timeout=1');
    expect(exchange.closed).toBe(true);
    expect(exchange.elapsedMs).toBeGreaterThanOrEqual(keepAliveTimeoutMs - 100);
    expect(exchange.elapsedMs).toBeLessThan(keepAliveTimeoutMs + 2500);
  });
});
