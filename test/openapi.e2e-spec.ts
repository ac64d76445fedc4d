import type {
  HeaderObject,
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
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
  ['POST /ingest', '201', ['400', '409', '413', '415', '422', '503']],
  ['POST /ingest/batch', '201', ['400', '409', '413', '415', '422', '503']],
  ['GET /ingest/all', '200', ['400', '503']],
  ['GET /ingest/partner/{partner_id}', '200', ['400', '503']],
  ['GET /ingest/{id}', '200', ['404', '503']],
  ['GET /health/live', '200', []],
  ['GET /health/ready', '200', ['503']],
  ['GET /metrics', '200', []],
];

const LIST_ROUTES = ['GET /ingest/all', 'GET /ingest/partner/{partner_id}'];
const IDEMPOTENT_ROUTES = ['POST /ingest', 'POST /ingest/batch'];

describe('OpenAPI document (/docs)', () => {
  let registered: RegisteredRoute[] = [];
  const context = useTestApp({
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
      // Left out: the UI and the document themselves, and HEAD, which Fastify adds for every GET.
      const gets = new Set(registered.filter((route) => route.method === 'GET').map((route) => route.url));
      const served = registered
        .filter((route) => !isDocsRoute(route.url))
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

    it('documents Retry-After on every 503', () => {
      const unavailable = operations().flatMap(({ key, operation: op }) =>
        responsesOf(op)
          .filter(([status]) => status === '503')
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
  });

  describe('the document is well formed', () => {
    it('is OpenAPI 3 with a title and a version', () => {
      expect(document.openapi).toMatch(/^3\./);
      expect(document.info).toEqual(
        expect.objectContaining({ title: 'Ingestion service', version: expect.stringMatching(/\S/) }),
      );
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
      ['another method', 'POST', DOCS_JSON_PATH],
      ['an unknown route', 'GET', '/nowhere'],
    ])('answers 404 problem+json for %s', async (_case, method, url) => {
      expectProblem(await context.app.inject({ method: method as 'GET', url }), 404);
    });
  });
});

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
