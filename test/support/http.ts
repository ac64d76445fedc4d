import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';

export type InjectResponse = LightMyRequestResponse;

/** Lower-case canonical UUID version 7 (RFC 9562). */
export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** RFC 3339 UTC with milliseconds, as the contract renders every timestamp. */
export const RFC3339_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export const JSON_CONTENT_TYPE = /^application\/json; charset=utf-8$/;
export const PROBLEM_CONTENT_TYPE = /^application\/problem\+json(;\s*charset=utf-8)?$/;
export const NDJSON_CONTENT_TYPE = /^application\/x-ndjson(;\s*charset=utf-8)?$/;

export interface Receipt {
  id: string;
  partner_id: string;
  timestamp: string;
}

export interface StoredRecord extends Receipt {
  payload: Record<string, unknown>;
}

/** POST with a JSON body serialised by the test (content type application/json). */
function postJson(
  app: NestFastifyApplication,
  url: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<InjectResponse> {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
  });
}

/** `POST /ingest` with a JSON body serialised by the test (content type application/json). */
export function ingest(
  app: NestFastifyApplication,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<InjectResponse> {
  return postJson(app, '/ingest', body, headers);
}

/** POST with the body text exactly as given. */
function postRaw(
  app: NestFastifyApplication,
  url: string,
  text: string | Buffer,
  headers: Record<string, string>,
): Promise<InjectResponse> {
  return app.inject({ method: 'POST', url, headers, payload: text });
}

/** `POST /ingest` with the body text exactly as given (for raw JSON the test wants byte-exact). */
export function ingestRaw(
  app: NestFastifyApplication,
  text: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<InjectResponse> {
  return postRaw(app, '/ingest', text, headers);
}

/** Ingests one record and returns its receipt, failing the test on anything but a 201. */
export async function ingestOk(
  app: NestFastifyApplication,
  partnerId: string,
  payload: Record<string, unknown> = {},
): Promise<Receipt> {
  const response = await ingest(app, { partner_id: partnerId, payload });
  if (response.statusCode !== 201) {
    throw new Error(`POST /ingest answered ${response.statusCode}: ${response.body}`);
  }
  return response.json<Receipt>();
}

export function get(app: NestFastifyApplication, url: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url, headers } satisfies InjectOptions);
}

/** Field names of an RFC 9457 document this service may send; anything else would be a leak. */
const PROBLEM_MEMBERS = ['type', 'title', 'status', 'detail', 'errors'];

/**
 * Asserts an RFC 9457 problem response: status, media type, the members and their types,
 * optional `errors[].field` list, an X-Request-Id, and no stack trace, SQL or file path.
 */
export function expectProblem(
  response: InjectResponse,
  status: number,
  expected: { type?: string | RegExp; fields?: string[] } = {},
): Record<string, unknown> {
  expect({ status: response.statusCode, body: response.body }).toEqual({ status, body: expect.any(String) });
  expect(response.headers['content-type']).toMatch(PROBLEM_CONTENT_TYPE);
  expect(response.headers['x-request-id']).toEqual(expect.any(String));
  const problem = response.json<Record<string, unknown>>();
  expect(problem).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
    }),
  );
  expect((problem.type as string).length).toBeGreaterThan(0);
  expect((problem.title as string).length).toBeGreaterThan(0);
  expect(Object.keys(problem).filter((member) => !PROBLEM_MEMBERS.includes(member))).toEqual([]);
  expectNoLeak(response.body);
  if (expected.type !== undefined) {
    if (typeof expected.type === 'string') expect(problem.type).toBe(expected.type);
    else expect(problem.type).toMatch(expected.type);
  }
  if (expected.fields !== undefined) {
    expect(problem.errors).toEqual(
      expected.fields.map((field) => ({ field, message: expect.any(String) as unknown as string })),
    );
  }
  return problem;
}

/** No stack frame, source path, SQL or driver error in a response body. */
export function expectNoLeak(body: string): void {
  expect(body).not.toMatch(/\bat \S+ \(|\bat .+:\d+:\d+/);
  expect(body).not.toMatch(/node_modules|\.ts:\d+|\/src\//);
  expect(body).not.toMatch(/SQLITE|\bSELECT\b|\bINSERT\b|QueryFailedError/i);
  expect(body).not.toMatch(/"stack"/);
}

/** The target of a `Link: <…>; rel="next"` header, or undefined without one. */
export function nextLink(response: InjectResponse): string | undefined {
  const header = response.headers.link;
  if (header === undefined) return undefined;
  const match = /^<([^>]+)>;\s*rel="next"$/.exec(String(header));
  if (!match) throw new Error(`Link header is not a single rel="next" link: ${String(header)}`);
  return match[1];
}

/** Splits an NDJSON body into its objects; every line, the last included, ends with \n. */
export function parseNdjson<T = Record<string, unknown>>(body: string): T[] {
  if (body === '') return [];
  expect(body.endsWith('\n')).toBe(true);
  return body
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as T);
}

/** Resolves once `condition` holds; rejects with `description` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  description: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets queued microtasks and immediate callbacks (event handlers, sagas) run to completion. */
export async function settle(rounds = 10): Promise<void> {
  for (let round = 0; round < rounds; round++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * `app.inject` that explains a response cut off mid-body: light-my-request only says
 * "response destroyed before completion", so the request is repeated as a stream to
 * report the status and the bytes the server had sent before it cut the connection.
 */
export async function injectComplete(app: NestFastifyApplication, options: InjectOptions): Promise<InjectResponse> {
  try {
    return await app.inject(options);
  } catch (error) {
    const streamed = await app.inject({ ...options, payloadAsStream: true });
    let received = '';
    const cut = await new Promise<string>((resolve) => {
      const stream = streamed.stream();
      const cause = () => stream.errored?.message ?? 'closed';
      if (stream.destroyed) return resolve(cause());
      stream.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
      stream.on('error', () => resolve(cause()));
      stream.on('close', () => resolve(cause()));
      stream.on('end', () => resolve('ended normally the second time'));
    });
    throw new Error(
      `${options.method ?? 'GET'} ${String(options.url)}: the server answered ${streamed.statusCode} ` +
        `(${String(streamed.headers['content-type'])}), sent ${JSON.stringify(received.slice(0, 200))} and then ` +
        `cut the connection (${(error as Error).message}; second attempt: ${cut})`,
    );
  }
}

/** `POST /ingest/batch` with a JSON body serialised by the test (content type application/json). */
export function ingestBatch(
  app: NestFastifyApplication,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<InjectResponse> {
  return postJson(app, '/ingest/batch', body, headers);
}

/** `POST /ingest/batch` with the body text exactly as given. */
export function ingestBatchRaw(
  app: NestFastifyApplication,
  text: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<InjectResponse> {
  return postRaw(app, '/ingest/batch', text, headers);
}

/** Every record in log order, as a client pages through `GET /ingest/all`. */
export async function logOrder(app: NestFastifyApplication): Promise<Receipt[]> {
  const records: Receipt[] = [];
  let url: string | undefined = '/ingest/all?limit=1000';
  while (url !== undefined) {
    const page = await get(app, url);
    records.push(...page.json<Receipt[]>());
    url = nextLink(page);
  }
  return records;
}
