import type { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
  type ReferenceObject,
  SwaggerModule,
} from '@nestjs/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Environment } from '../config/environment';
import { publicPrefixOf } from '../http/forwarded-prefix';
import { MAX_PAYLOAD_DEPTH } from '../ingestion/domain/payload.value-object';
import { withIngestionLimits } from '../ingestion/infrastructure/http/openapi/ingestion-limits.openapi';
import { API_KEY_SECURITY } from './api-responses';

export const DOCS_PATH = '/docs';
export const DOCS_JSON_PATH = '/docs/json';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const REQUEST_ID_PATTERN = '^[\\x21-\\x7e]{1,200}$';

/** package.json's `UNLICENSED`, in words. */
const LICENSE = 'Proprietary (UNLICENSED): no licence is granted to use, copy or distribute it';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const DESCRIPTION = [
  'HTTP API of the partner-data ingestion service. It matches the wire contract of the service',
  '(`CONTRACT.md`: routes, status codes, headers, errors).',
  '',
  '- Request and response bodies are JSON (`application/json; charset=utf-8`).',
  '- Every error is an RFC 9457 `application/problem+json` document (`ProblemDetails`); `errors` lists',
  '  the fields at fault of a request that is not valid. An unknown route is a 404 problem.',
  `- Every response carries \`${REQUEST_ID_HEADER}\`: the one the request gave (1–200 printable ASCII`,
  '  characters), or a new one.',
  '- Every `/ingest…` route needs `Authorization: Bearer <key>` once any API key exists (`401` without a valid one);',
  '  a partner key reaches only its own partner (`403`, or `404` for a record by id), an admin key every partner.',
  '  Each key is rate limited: the `RateLimit-*` headers give what is left of it, a `429` with `Retry-After` says it',
  '  is spent. `/health/*`, `/metrics` and `/docs` stay open.',
].join('\n');

/** Call before `app.init()`; the document is built on its first request, once every module is initialised. */
export function setupOpenApi(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  // Fastify binds a route's error handler when it loads the route, and for these routes that
  // happens before app.init() installs Nest's (the problem filter): an error there, such as the
  // 404 Swagger throws for /docs/LICENSE, would be Fastify's plain JSON. Look the handler up per request.
  fastify.addHook('onRoute', (route) => {
    if (isDocsRoute(route.url))
      route.errorHandler = (error, request, reply) => fastify.errorHandler(error, request, reply);
  });
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: DOCS_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'Ingestion service — API',
    patchDocumentOnRequest: (request: unknown, _reply: unknown, document: OpenAPIObject) =>
      servedUnderPrefix(document, publicPrefixOf(request as FastifyRequest)),
  });
}

/** "Try it out" calls `servers[0]`: behind a gateway that strips a prefix, the document says the prefix. */
function servedUnderPrefix(document: OpenAPIObject, prefix: string): OpenAPIObject {
  if (prefix === '') return document;
  return {
    ...document,
    servers: [{ url: prefix, description: 'The host that serves this document, under the prefix of its gateway.' }],
  };
}

export function isDocsRoute(url: string): boolean {
  return url === DOCS_PATH || url.startsWith(`${DOCS_PATH}/`);
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const settings = app.get<ConfigService<Environment, true>>(ConfigService);
  const config: Omit<OpenAPIObject, 'paths'> = {
    openapi: '3.0.0',
    info: {
      title: 'Ingestion service',
      description: DESCRIPTION,
      version: packageVersion(),
      license: { name: LICENSE },
    },
    servers: [{ url: '/', description: 'The host that serves this document.' }],
    // None by default: /health, /metrics and /docs are open; the /ingest… operations name the API key.
    security: [],
    tags: [
      { name: 'ingestion', description: 'Ingest partner records and read them back.' },
      { name: 'operations', description: 'Health and metrics, for the platform that runs the service.' },
    ],
    components: {
      securitySchemes: {
        [API_KEY_SECURITY]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'ik_ + 43 base64url characters',
          description:
            'An API key (`ik_…`) from `npm run keys -- create --partner <partner_id>` (or `--admin`), shown once ' +
            'when created; `npm run keys -- revoke <id>` refuses it on every instance within 1 second. While no ' +
            'key exists the service is open and needs none.',
        },
      },
    },
  };
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  withIngestionLimits(document, {
    maxPayloadBytes: settings.get('MAX_PAYLOAD_BYTES', { infer: true }),
    // Not a setting: the contract fixes the depth.
    maxPayloadDepth: MAX_PAYLOAD_DEPTH,
    maxBatchRecords: settings.get('MAX_BATCH_RECORDS', { infer: true }),
    maxBatchBytes: settings.get('MAX_BATCH_BYTES', { infer: true }),
  });
  return withParameterExamples(withRequestIds(document));
}

/** @nestjs/swagger puts a parameter's example in its schema, where Dredd and other test generators miss it. */
function withParameterExamples(document: OpenAPIObject): OpenAPIObject {
  const parameters: Array<ParameterObject | ReferenceObject> = [
    ...Object.values(document.components?.parameters ?? {}),
    ...Object.values(document.paths).flatMap((pathItem) => [
      ...(pathItem.parameters ?? []),
      ...HTTP_METHODS.flatMap((method) => pathItem[method]?.parameters ?? []),
    ]),
  ];
  for (const parameter of parameters) {
    if ('$ref' in parameter || parameter.schema === undefined || '$ref' in parameter.schema) continue;
    const { example, ...schema } = parameter.schema;
    if (example === undefined) continue;
    parameter.schema = schema;
    parameter.example ??= example;
  }
  return document;
}

/** Every route sets `X-Request-Id` alike (an onRequest hook in app.setup.ts): added here, not on each controller. */
function withRequestIds(document: OpenAPIObject): OpenAPIObject {
  const components = (document.components ??= {});
  components.parameters = {
    ...components.parameters,
    RequestId: {
      name: REQUEST_ID_HEADER,
      in: 'header',
      required: false,
      description:
        'Correlates the request with the service logs. Echoed in the response when it is 1–200 printable ASCII characters; replaced by a new id otherwise.',
      schema: { type: 'string', pattern: REQUEST_ID_PATTERN },
    },
  };
  components.headers = {
    ...components.headers,
    RequestId: {
      description: 'The request id: the one the request gave, or a new one (a UUID).',
      required: true,
      schema: { type: 'string', pattern: REQUEST_ID_PATTERN },
    },
  };
  for (const pathItem of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation: OperationObject | undefined = pathItem[method];
      if (!operation) continue;
      operation.parameters = [...(operation.parameters ?? []), { $ref: '#/components/parameters/RequestId' }];
      for (const response of Object.values(operation.responses)) {
        if (response === undefined || '$ref' in response) continue;
        response.headers = { ...response.headers, [REQUEST_ID_HEADER]: { $ref: '#/components/headers/RequestId' } };
      }
    }
  }
  return document;
}

/** The version in package.json (next to src/ and dist/ alike), or '1' when it cannot be read. */
function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof manifest.version === 'string' ? manifest.version : '1';
  } catch {
    return '1';
  }
}
