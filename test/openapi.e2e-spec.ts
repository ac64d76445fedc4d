import type {
  HeaderObject,
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { isDebuggerRoute } from '../src/ingestion/infrastructure/http/debugger/debugger.controller';
import { DOCS_JSON_PATH, DOCS_PATH, isDocsRoute } from '../src/openapi/openapi';
import { expectProblem, get } from './support/http';
import { recordRoutes, RegisteredRoute } from './support/routes';
import { useTestApp } from './support/test-app';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const PROBLEM_JSON = 'application/problem+json';

interface Operation {
  /** `POST /ingest`, `GET /ingest/{id}`: the method and the OpenAPI path template. */
  key: string;
  path: string;
  operation: OperationObject;
}

/** What the contract (CONTRACT.md) says each route answers: its success status and its problem statuses. */
const CONTRACT_STATUSES: Array<[string, string, string[]]> = [
  ['POST /ingest', '201', ['400', '401', '403', '409', '413', '415', '422', '429', '503', '507']],
  ['POST /ingest/batch', '201', ['400', '401', '403', '409', '413', '415', '422', '429', '503', '507']],
  ['GET /ingest/all', '200', ['400', '401', '403', '429', '503']],
  ['GET /ingest/partner/{partner_id}', '200', ['400', '401', '403', '429', '503']],
  ['GET /ingest/{id}', '200', ['401', '404', '429', '503']],
  ['GET /health/live', '200', []],
  ['GET /health/ready', '200', ['503']],
  ['GET /metrics', '200', []],
];

const LIST_ROUTES = ['GET /ingest/all', 'GET /ingest/partner/{partner_id}'];
const IDEMPOTENT_ROUTES = ['POST /ingest', 'POST /ingest/batch'];
const RATE_LIMIT_HEADERS = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'];

/** Limits other than the defaults, to see that the document reads the configuration. */
const LIMITS = { MAX_BATCH_RECORDS: '250', MAX_PAYLOAD_BYTES: '65536', MAX_BATCH_BYTES: '1048576' };

/**
 * Warnings of Redocly's recommended rules that stay, on purpose:
 * - info-license-strict: package.json says UNLICENSED; there is no licence text to link to.
 * - operation-4xx-response: liveness, readiness and metrics take no input that could be wrong,
 *   so they have no 4xx to document.
 */
const ACCEPTED_LINT_WARNINGS = [
  'info-license-strict #/info/license/url',
  'operation-4xx-response #/paths/~1health~1live/get/responses',
  'operation-4xx-response #/paths/~1health~1ready/get/responses',
  'operation-4xx-response #/paths/~1metrics/get/responses',
];

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>;
}

describe('OpenAPI document (/docs)', () => {
  let registered: RegisteredRoute[] = [];
  const context = useTestApp({
    env: LIMITS,
    beforeConfigure: (app) => {
      registered = recordRoutes(app);
    },
  });
  let document: OpenAPIObject;

  beforeAll(async () => {
    const response = await get(context.app, DOCS_JSON_PATH);
    expect(response.statusCode).toBe(200);
    document = response.json<OpenAPIObject>();
  });

  const operations = (): Operation[] =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      HTTP_METHODS.filter((method) => item[method] !== undefined).map((method) => ({
        key: `${method.toUpperCase()} ${path}`,
        path,
        operation: item[method]!,
      })),
    );
  const operation = (key: string): OperationObject => {
    const found = operations().find((candidate) => candidate.key === key);
    if (!found) throw new Error(`the document has no operation ${key}`);
    return found.operation;
  };
  const resolve = <T>(value: T | ReferenceObject): T => resolveRef(document, value);
  const parametersOf = (op: OperationObject): ParameterObject[] =>
    (op.parameters ?? []).map((parameter) => resolve(parameter));
  const responsesOf = (op: OperationObject): Array<[string, ResponseObject]> =>
    Object.entries(op.responses).map(([status, response]) => [status, resolve(response!)]);
  /** The property names of a response body's schema (through its $ref). */
  const schemaProperties = (response: ResponseObject, mediaType: string): string[] => {
    const schema = response.content?.[mediaType]?.schema;
    if (!isRef(schema)) throw new Error(`expected a $ref schema for ${mediaType}`);
    return Object.keys(resolve<SchemaObject>(schema).properties ?? {});
  };
  /** Whether a parameter's example keeps its schema's pattern and range. */
  const satisfies = (parameter: ParameterObject): boolean => {
    const schema = resolve<SchemaObject>(parameter.schema!);
    const value: unknown = parameter.example;
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(String(value))) return false;
    return (
      typeof value !== 'number' || (value >= (schema.minimum ?? -Infinity) && value <= (schema.maximum ?? Infinity))
    );
  };
  const headerOf = (response: ResponseObject, name: string): HeaderObject | undefined => {
    const entry = Object.entries(response.headers ?? {}).find(([key]) => key.toLowerCase() === name.toLowerCase());
    return entry && resolve(entry[1]);
  };

  describe('drift between the routes and the document', () => {
    it('saw the app register its routes (the recorder runs before any route exists)', () => {
      expect(registered).toEqual(expect.arrayContaining([{ method: 'POST', url: '/ingest' }]));
      const fastify = context.app.getHttpAdapter().getInstance();
      for (const route of registered) {
        expect(fastify.hasRoute({ method: route.method as 'GET', url: route.url })).toBe(true);
      }
    });

    it('documents every route Fastify registered, and nothing else', () => {
      // Left out: the UI and the document themselves, the live debugger's page, and HEAD, which Fastify adds for every GET.
      const gets = new Set(registered.filter((route) => route.method === 'GET').map((route) => route.url));
      const served = registered
        .filter((route) => !isDocsRoute(route.url) && !isDebuggerRoute(route.url))
        .filter((route) => !(route.method === 'HEAD' && gets.has(route.url)) && route.method !== 'OPTIONS')
        .map((route) => `${route.method} ${toOpenApiPath(route.url)}`);
      const documented = operations().map((candidate) => candidate.key);

      expect([...new Set(served)].sort()).toEqual([...new Set(documented)].sort());
      expect(documented.length).toBe(new Set(documented).size);
    });

    it('describes every operation: a summary, a declared tag, and each response with a description and a body', () => {
      const declaredTags = (document.tags ?? []).map((tag) => tag.name);
      const undocumented = operations().flatMap(({ key, operation: op }) => {
        const problems: string[] = [];
        if (!op.summary) problems.push('no summary (@ApiOperation)');
        if (!op.tags?.length || op.tags.some((tag) => !declaredTags.includes(tag)))
          problems.push(`tags ${JSON.stringify(op.tags)} are not among ${JSON.stringify(declaredTags)} (@ApiTags)`);
        const responses = responsesOf(op);
        if (!responses.some(([status]) => /^2\d\d$/.test(status))) problems.push('no 2xx response');
        for (const [status, response] of responses) {
          if (!response.description) problems.push(`${status}: no description`);
          if (status !== '204' && !Object.values(response.content ?? {}).some((media) => media.schema))
            problems.push(`${status}: no body schema`);
        }
        return problems.map((problem) => `${key}: ${problem}`);
      });

      expect(undocumented).toEqual([]);
    });

    it('gives every operation a unique operationId', () => {
      const ids = operations().map(({ operation: op }) => op.operationId);
      expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
      expect(ids.length).toBe(new Set(ids).size);
    });
  });

  describe('responses and headers', () => {
    it.each(CONTRACT_STATUSES)('%s documents %s and the problems %j', (key, success, problems) => {
      const statuses = Object.keys(operation(key).responses);
      expect(statuses).toEqual(expect.arrayContaining([success, ...problems]));
    });

    it('documents every error response as application/problem+json with the ProblemDetails schema', () => {
      const errors = operations().flatMap(({ key, operation: op }) =>
        responsesOf(op)
          .filter(([status]) => /^[45]\d\d$/.test(status))
          .map(([status, response]) => ({ response: `${key} ${status}`, content: response.content })),
      );

      expect(errors.length).toBeGreaterThan(0);
      for (const { response, content } of errors) {
        expect({ response, mediaTypes: Object.keys(content ?? {}) }).toEqual({ response, mediaTypes: [PROBLEM_JSON] });
        expect({ response, schema: content![PROBLEM_JSON].schema }).toEqual({
          response,
          schema: { $ref: '#/components/schemas/ProblemDetails' },
        });
      }
      expect(resolve<Record<string, unknown>>({ $ref: '#/components/schemas/ProblemDetails' })).toEqual(
        expect.objectContaining({
          required: ['type', 'title', 'status', 'detail'],
          properties: expect.objectContaining({
            type: expect.anything(),
            title: expect.anything(),
            status: expect.anything(),
            detail: expect.anything(),
            errors: expect.objectContaining({ type: 'array' }),
          }),
        }),
      );
    });

    it('documents Retry-After on every 503 and 507', () => {
      const unavailable = operations().flatMap(({ key, operation: op }) =>
        responsesOf(op)
          .filter(([status]) => status === '503' || status === '507')
          .map(([, response]) => ({ key, retryAfter: headerOf(response, 'Retry-After') !== undefined })),
      );

      expect(unavailable.map(({ key }) => key)).toEqual(expect.arrayContaining(IDEMPOTENT_ROUTES));
      expect(unavailable.filter(({ retryAfter }) => !retryAfter)).toEqual([]);
    });

    it('documents X-Request-Id on every response, and as an optional request header of every operation', () => {
      const missing = operations().flatMap(({ key, operation: op }) => [
        ...responsesOf(op)
          .filter(([, response]) => headerOf(response, 'X-Request-Id') === undefined)
          .map(([status]) => `${key} ${status}: no X-Request-Id header`),
        ...(parametersOf(op).some(
          (parameter) => parameter.in === 'header' && parameter.name === 'X-Request-Id' && !parameter.required,
        )
          ? []
          : [`${key}: no optional X-Request-Id request header`]),
      ]);

      expect(missing).toEqual([]);
    });

    it('declares the API key as an HTTP bearer scheme, required by every /ingest operation and no other', () => {
      expect(document.components?.securitySchemes?.['api-key']).toEqual(
        expect.objectContaining({
          type: 'http',
          scheme: 'bearer',
          description: expect.stringContaining('npm run keys'),
        }),
      );
      const isIngestion = (path: string) => path === '/ingest' || path.startsWith('/ingest/');
      const ingestion = operations().filter(({ path }) => isIngestion(path));
      const others = operations().filter(({ path }) => !isIngestion(path));

      expect(ingestion.map(({ key }) => key).sort()).toEqual([
        'GET /ingest/all',
        'GET /ingest/partner/{partner_id}',
        'GET /ingest/stream',
        'GET /ingest/{id}',
        'POST /ingest',
        'POST /ingest/batch',
        'POST /ingest/stream/token',
      ]);
      expect(others.map(({ key }) => key).sort()).toEqual(['GET /health/live', 'GET /health/ready', 'GET /metrics']);
      for (const { key, operation: op } of ingestion) {
        expect({ key, security: op.security }).toEqual({ key, security: [{ 'api-key': [] }] });
        expect({ key, statuses: Object.keys(op.responses) }).toEqual({
          key,
          statuses: expect.arrayContaining(['401', '429']),
        });
      }
      for (const { key, operation: op } of others) {
        expect({ key, security: op.security }).toEqual({ key, security: undefined });
        expect({ key, statuses: Object.keys(op.responses) }).toEqual({
          key,
          statuses: expect.not.arrayContaining(['401', '403', '429']),
        });
      }
    });

    it('documents WWW-Authenticate on every 401, Retry-After and RateLimit-* on every 429, RateLimit-* on every 2xx of /ingest', () => {
      const missing = operations()
        .filter(({ path }) => path.startsWith('/ingest'))
        .flatMap(({ key, operation: op }) =>
          responsesOf(op).flatMap(([status, response]) => {
            const required =
              status === '401'
                ? ['WWW-Authenticate']
                : status === '429'
                  ? ['Retry-After', ...RATE_LIMIT_HEADERS]
                  : /^2\d\d$/.test(status)
                    ? RATE_LIMIT_HEADERS
                    : [];
            return required
              .filter((name) => headerOf(response, name) === undefined)
              .map((name) => `${key} ${status}: no ${name}`);
          }),
        );
      const alwaysSent = operations().flatMap(({ operation: op }) =>
        responsesOf(op)
          .filter(([status]) => status === '401' || status === '429')
          .flatMap(([status, response]) =>
            (status === '401' ? ['WWW-Authenticate'] : ['Retry-After', ...RATE_LIMIT_HEADERS]).map(
              (name) => headerOf(response, name)?.required,
            ),
          ),
      );

      expect(missing).toEqual([]);
      expect(alwaysSent.length).toBeGreaterThan(0);
      expect(alwaysSent.every((required) => required === true)).toBe(true);
      // Sent only when the request had an API key: not while the service is open.
      expect(headerOf(resolve(operation('GET /ingest/all').responses['200']!), 'RateLimit-Limit')?.required).toBe(
        false,
      );
    });

    it.each(IDEMPOTENT_ROUTES)('%s takes an optional Idempotency-Key and documents Idempotent-Replayed', (key) => {
      const op = operation(key);
      expect(parametersOf(op)).toContainEqual(
        expect.objectContaining({ in: 'header', name: 'Idempotency-Key', required: false }),
      );
      expect(
        parametersOf(op)
          .filter((parameter) => parameter.in === 'header')
          .map((p) => p.name),
      ).not.toContain('idempotency-key');
      const created = resolve(op.responses['201']!);
      expect(headerOf(created, 'Idempotent-Replayed')).toBeDefined();
      expect(Object.keys(op.requestBody ? resolve(op.requestBody).content : {})).toEqual(['application/json']);
    });

    it('POST /ingest documents the Location of the new record and its receipt', () => {
      const created = resolve(operation('POST /ingest').responses['201']!);
      expect(headerOf(created, 'Location')).toBeDefined();
      expect(schemaProperties(created, 'application/json')).toEqual(['id', 'partner_id', 'timestamp']);
    });

    it('POST /ingest/batch answers the receipts of its records', () => {
      const created = resolve(operation('POST /ingest/batch').responses['201']!);
      expect(schemaProperties(created, 'application/json')).toEqual(['records']);
    });

    it('GET /ingest/{id} answers the record with its payload', () => {
      const ok = resolve(operation('GET /ingest/{id}').responses['200']!);
      expect(schemaProperties(ok, 'application/json')).toEqual(['id', 'partner_id', 'timestamp', 'payload']);
    });

    it.each(LIST_ROUTES)('%s takes the list parameters and documents Link, JSON and NDJSON', (key) => {
      const op = operation(key);
      const query = parametersOf(op).filter((parameter) => parameter.in === 'query');
      expect(query.map((parameter) => parameter.name).sort()).toEqual(['after', 'include', 'limit', 'since', 'until']);
      expect(query.every((parameter) => parameter.required !== true)).toBe(true);
      expect(query.find((parameter) => parameter.name === 'limit')?.schema).toEqual(
        expect.objectContaining({ type: 'integer', minimum: 1, maximum: 1000 }),
      );
      expect(query.find((parameter) => parameter.name === 'include')?.schema).toEqual(
        expect.objectContaining({ enum: ['payload'] }),
      );
      expect(parametersOf(op).some((parameter) => parameter.in === 'header' && /^accept$/i.test(parameter.name))).toBe(
        false,
      );

      const ok = resolve(op.responses['200']!);
      expect(headerOf(ok, 'Link')).toBeDefined();
      expect(Object.keys(ok.content ?? {}).sort()).toEqual(['application/json', 'application/x-ndjson']);
      expect(resolve(ok.content!['application/json'].schema!)).toEqual(
        expect.objectContaining({ type: 'array', items: { $ref: '#/components/schemas/DataSummary' } }),
      );
    });

    it.each(LIST_ROUTES)(
      '%s describes NDJSON as the text it is, with the schema of each line in x-itemSchema',
      (key) => {
        const ndjson = resolve(operation(key).responses['200']!).content!['application/x-ndjson'];
        const body = resolve<SchemaObject>(ndjson.schema!);

        expect(body).toEqual(expect.objectContaining({ type: 'string', description: expect.stringMatching(/line/) }));
        expect((ndjson as Record<string, unknown>)['x-itemSchema']).toEqual({
          $ref: '#/components/schemas/DataSummary',
        });
        const lines = new RegExp(body.pattern!);
        expect(lines.test('')).toBe(true);
        expect(lines.test(String(body.example))).toBe(true);
        expect(lines.test('[{"id":"x"}]')).toBe(false);
      },
    );

    it.each(LIST_ROUTES)("%s gives a Link example on the route's own path", (key) => {
      const op = operation(key);
      const path = key
        .split(' ')[1]
        .replace(/\{([^}]+)\}/g, (_match, name: string) =>
          String(parametersOf(op).find((parameter) => parameter.name === name)?.example),
        );
      const link = headerOf(resolve(op.responses['200']!), 'Link')!;
      const example = String((link.schema as SchemaObject).example);

      expect(example.startsWith(`<${path}?limit=`)).toBe(true);
      expect(new RegExp((link.schema as SchemaObject).pattern!).test(example)).toBe(true);
    });

    it('promises the headers every response of its kind carries: X-Request-Id, Location on 201, Retry-After on 503', () => {
      expect(resolve<HeaderObject>({ $ref: '#/components/headers/RequestId' }).required).toBe(true);
      expect(headerOf(resolve(operation('POST /ingest').responses['201']!), 'Location')?.required).toBe(true);
      const retryAfter = operations().flatMap(({ operation: op }) =>
        responsesOf(op)
          .filter(([status]) => status === '503')
          .map(([, response]) => headerOf(response, 'Retry-After')?.required),
      );
      expect(retryAfter.length).toBeGreaterThan(0);
      expect(retryAfter.every((required) => required === true)).toBe(true);
    });
  });

  describe('examples that work when a client executes them', () => {
    const allParameters = () =>
      operations().flatMap(({ key, operation: op }) => parametersOf(op).map((parameter) => ({ key, parameter })));

    it('puts every parameter example on the parameter, where Dredd and test generators read it, not in its schema', () => {
      const inSchema = allParameters()
        .filter(({ parameter }) => parameter.schema !== undefined && 'example' in resolve(parameter.schema))
        .map(({ key, parameter }) => `${key} ${parameter.name}`);
      const refused = allParameters()
        .filter(({ parameter }) => parameter.example !== undefined && !satisfies(parameter))
        .map(({ key, parameter }) => `${key} ${parameter.name}`);

      expect(inSchema).toEqual([]);
      expect(refused).toEqual([]);
      expect(parametersOf(operation('GET /ingest/partner/{partner_id}')).find((p) => p.name === 'partner_id')).toEqual(
        expect.objectContaining({ example: 'acme' }),
      );
    });

    it('pre-fills no filter: since, until and after have no example, so a list is not empty for want of one', () => {
      const filters = allParameters().filter(({ parameter }) => ['since', 'until', 'after'].includes(parameter.name));
      const prefilled = filters
        .filter(
          ({ parameter }) =>
            parameter.example !== undefined ||
            parameter.examples !== undefined ||
            (parameter.schema !== undefined && resolve<SchemaObject>(parameter.schema).example !== undefined),
        )
        .map(({ key, parameter }) => `${key} ${parameter.name}`);

      // The lists' three, and the stream's `after`.
      expect(filters.length).toBe(3 * LIST_ROUTES.length + 1);
      expect(prefilled).toEqual([]);
    });

    it('gives GET /ingest/{id} no made-up id, and links it from the 201 of POST /ingest instead', () => {
      const id = parametersOf(operation('GET /ingest/{id}')).find((parameter) => parameter.name === 'id')!;
      expect(id.example).toBeUndefined();
      expect(id.examples).toBeUndefined();
      expect(resolve<SchemaObject>(id.schema!).example).toBeUndefined();

      const created = resolve(operation('POST /ingest').responses['201']!);
      expect(created.links).toEqual({
        getById: expect.objectContaining({ operationId: 'getById', parameters: { id: '$response.body#/id' } }),
      });
      expect(operation('GET /ingest/{id}').operationId).toBe('getById');
    });
  });

  describe('limits in the schemas', () => {
    const schema = (name: string) => resolve<SchemaObject>({ $ref: `#/components/schemas/${name}` });
    const property = (name: string, member: string) => resolve<SchemaObject>(schema(name).properties![member]);
    const extension = (value: SchemaObject, name: string) => (value as Record<string, unknown>)[name];

    it('takes 1 to the configured MAX_BATCH_RECORDS records in a batch, and answers as many receipts', () => {
      expect(property('IngestBatch', 'records')).toEqual(
        expect.objectContaining({ minItems: 1, maxItems: Number(LIMITS.MAX_BATCH_RECORDS) }),
      );
      expect(property('BatchReceipt', 'records')).toEqual(
        expect.objectContaining({ minItems: 1, maxItems: Number(LIMITS.MAX_BATCH_RECORDS) }),
      );
    });

    it('refuses unknown members in the request bodies and in the records of a batch', () => {
      const body = resolve(operation('POST /ingest').requestBody!).content['application/json'].schema!;
      const batch = resolve(operation('POST /ingest/batch').requestBody!).content['application/json'].schema!;

      expect(resolve<SchemaObject>(body).additionalProperties).toBe(false);
      expect(resolve<SchemaObject>(batch).additionalProperties).toBe(false);
      expect(
        resolve<SchemaObject>(resolve<SchemaObject>(property('IngestBatch', 'records').items!)).additionalProperties,
      ).toBe(false);
    });

    it('states the configured payload size and depth, and the batch size, in x- extensions', () => {
      expect(extension(property('IngestRecord', 'payload'), 'x-max-bytes')).toBe(Number(LIMITS.MAX_PAYLOAD_BYTES));
      expect(extension(property('IngestRecord', 'payload'), 'x-max-depth')).toBe(32);
      expect(extension(schema('IngestBatch'), 'x-max-bytes')).toBe(Number(LIMITS.MAX_BATCH_BYTES));
    });

    it('gives the patterns of ids (lower-case UUIDv7), timestamps, partner ids and Idempotency-Key', () => {
      const pattern = (value: SchemaObject) => new RegExp(value.pattern ?? '(?!)');
      for (const name of ['DataReceipt', 'DataRecord', 'DataSummary']) {
        const id = pattern(property(name, 'id'));
        expect({ name, v7: id.test(uuidv7()), upper: id.test(uuidv7().toUpperCase()), v4: id.test(uuidv4()) }).toEqual({
          name,
          v7: true,
          upper: false,
          v4: false,
        });
        const timestamp = pattern(property(name, 'timestamp'));
        expect([timestamp.test('2026-11-29T10:31:05.123Z'), timestamp.test('2026-11-29T10:31:05Z')]).toEqual([
          true,
          false,
        ]);
        expect(pattern(property(name, 'partner_id')).test('acme')).toBe(true);
      }
      for (const name of ['IngestRecord']) {
        const partnerId = pattern(property(name, 'partner_id'));
        expect([partnerId.test('acme.eu-1'), partnerId.test('-acme'), partnerId.test('a'.repeat(65))]).toEqual([
          true,
          false,
          false,
        ]);
      }
      const key = parametersOf(operation('POST /ingest')).find((parameter) => parameter.name === 'Idempotency-Key')!;
      const idempotencyKey = pattern(resolve<SchemaObject>(key.schema!));
      expect([idempotencyKey.test('order-1'), idempotencyKey.test(''), idempotencyKey.test('é')]).toEqual([
        true,
        false,
        false,
      ]);
    });
  });

  describe('the document is well formed', () => {
    it('is OpenAPI 3 with a title and a version', () => {
      expect(document.openapi).toMatch(/^3\./);
      expect(document.info).toEqual(
        expect.objectContaining({ title: 'Ingestion service', version: expect.stringMatching(/\S/) }),
      );
    });

    it('names a server relative to the host that serves it, the licence package.json states, and no security by default', () => {
      expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
      expect(document.info.license).toEqual({ name: expect.stringContaining('UNLICENSED') });
      expect(document.security).toEqual([]);
    });

    it("passes Redocly's recommended rules with no error, and no warning but the accepted ones", async () => {
      const report = await redoclyLint(document);
      const problems = report.problems.map(
        (problem) => `${problem.severity} ${problem.ruleId} ${problem.location[0]?.pointer}: ${problem.message}`,
      );

      expect(problems.filter((problem) => problem.startsWith('error'))).toEqual([]);
      expect(report.problems.map((problem) => `${problem.ruleId} ${problem.location[0]?.pointer}`).sort()).toEqual(
        ACCEPTED_LINT_WARNINGS,
      );
      expect(report.totals).toEqual(expect.objectContaining({ errors: 0, warnings: ACCEPTED_LINT_WARNINGS.length }));
    });

    it('resolves every $ref', () => {
      const refs = collectRefs(document);
      const dangling = refs.filter((ref) => pointer(document, ref) === undefined);

      expect(refs.length).toBeGreaterThan(0);
      expect(dangling).toEqual([]);
    });

    it('declares each path parameter of a template once, required, and no other', () => {
      for (const { key, path, operation: op } of operations()) {
        const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]).sort();
        const declared = parametersOf(op).filter((parameter) => parameter.in === 'path');
        expect({ key, path: declared.map((parameter) => parameter.name).sort() }).toEqual({ key, path: inTemplate });
        expect({ key, required: declared.every((parameter) => parameter.required === true) }).toEqual({
          key,
          required: true,
        });
      }
    });

    it('uses only valid status codes', () => {
      for (const { key, operation: op } of operations()) {
        for (const status of Object.keys(op.responses))
          expect({ key, status }).toEqual({ key, status: expect.stringMatching(/^(?:[1-5]\d\d|default)$/) });
      }
    });
  });

  describe('serving', () => {
    it(`GET ${DOCS_PATH} answers the UI (HTML), whose assets load`, async () => {
      const page = await get(context.app, DOCS_PATH);
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('swagger-ui');
      expect(page.headers['x-request-id']).toEqual(expect.any(String));

      for (const asset of ['swagger-ui-init.js', 'swagger-ui-bundle.js', 'swagger-ui.css']) {
        const response = await get(context.app, `${DOCS_PATH}/${asset}`);
        expect({ asset, status: response.statusCode }).toEqual({ asset, status: 200 });
      }
    });

    it(`GET ${DOCS_JSON_PATH} answers the document as JSON`, async () => {
      const response = await get(context.app, DOCS_JSON_PATH, { 'x-request-id': 'docs-json-1' });

      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['x-request-id']).toBe('docs-json-1');
      expect(response.json<OpenAPIObject>().openapi).toMatch(/^3\./);
    });

    it.each([
      ['an unknown file under /docs', 'GET', `${DOCS_PATH}/nope.js`],
      ['the licence file Swagger blocks', 'GET', `${DOCS_PATH}/LICENSE`],
      ['a path below the document', 'GET', `${DOCS_JSON_PATH}/x`],
      ['an unknown route', 'GET', '/nowhere'],
    ])('answers 404 problem+json for %s', async (_case, method, url) => {
      expectProblem(await context.app.inject({ method: method as 'GET', url }), 404);
    });

    it('answers 405 problem+json with Allow for another method on the document', async () => {
      const response = await context.app.inject({ method: 'POST', url: DOCS_JSON_PATH });

      expectProblem(response, 405);
      expect(response.headers.allow).toBe('GET, HEAD, OPTIONS');
    });
  });
});

/** Redocly CLI's `lint` (recommended rules) on a temporary copy of the document, as its JSON report. */
async function redoclyLint(document: OpenAPIObject): Promise<LintReport> {
  const folder = await mkdtemp(join(tmpdir(), 'openapi-lint-'));
  try {
    await writeFile(join(folder, 'openapi.json'), JSON.stringify(document, null, 2));
    const run = await promisify(execFile)(
      process.execPath,
      [require.resolve('@redocly/cli/bin/cli.js'), 'lint', 'openapi.json', '--extends=recommended', '--format=json'],
      {
        cwd: folder,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
        timeout: 60_000,
      },
    ).catch((error: { stdout?: string; stderr?: string }) => {
      // Errors make it exit 1; its report is on stdout all the same.
      if (!error.stdout) throw new Error(`redocly lint did not run: ${error.stderr ?? String(error)}`);
      return { stdout: error.stdout };
    });
    return JSON.parse(run.stdout) as LintReport;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** `/ingest/:id` → `/ingest/{id}` */
function toOpenApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function isRef(value: unknown): value is ReferenceObject {
  return typeof value === 'object' && value !== null && typeof (value as ReferenceObject).$ref === 'string';
}

/** The node a local `$ref` (`#/components/...`) points at, or undefined. */
function pointer(document: OpenAPIObject, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>(
      (node, token) =>
        typeof node === 'object' && node !== null && Object.prototype.hasOwnProperty.call(node, token)
          ? (node as Record<string, unknown>)[token]
          : undefined,
      document,
    );
}

function resolveRef<T>(document: OpenAPIObject, value: T | ReferenceObject): T {
  let current: unknown = value;
  for (let hops = 0; isRef(current); hops++) {
    if (hops > 8) throw new Error(`$ref cycle at ${current.$ref}`);
    const target = pointer(document, current.$ref);
    if (target === undefined) throw new Error(`dangling $ref ${current.$ref}`);
    current = target;
  }
  return current as T;
}

function collectRefs(node: unknown, refs: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((item) => collectRefs(item, refs));
  else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') refs.push(value);
      else collectRefs(value, refs);
    }
  }
  return refs;
}
