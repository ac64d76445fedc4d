import { ConfigService } from '@nestjs/config';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Environment } from './config/environment';
import { ShutdownState } from './health/shutdown-state';
import { registerJsonBodyParser } from './ingestion/infrastructure/http/json-body.parser';
import { setupOpenApi } from './openapi/openapi';
import { handleClientError, rememberRequest } from './http/client-error.handler';
import { answerFrameworkError } from './http/framework-errors';
import { registerLoadShedding } from './http/load-shedding';
import { installRequestLog } from './http/request-log';
import { installRequestPreconditions } from './http/request-preconditions';
import { installSecurityHeaders } from './http/security-headers';
import { applyServerLimits } from './http/server-limits';
import { installUnmatchedRequestAnswers } from './http/unmatched-requests';
import { HttpRequestMetrics } from './metrics/http-request.metrics';

/** An incoming X-Request-Id is echoed when it is short and printable, replaced otherwise. */
const ACCEPTABLE_REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/**
 * Fastify answers 414 past 100 characters; the contract wants 404 (id) or 400 (partner id).
 * Node's 16 KiB header limit bounds the request line anyway.
 */
const MAX_PARAM_LENGTH = 16 * 1024;

/** How often Node looks for requests past HTTP_HEADERS_TIMEOUT_MS or HTTP_REQUEST_TIMEOUT_MS (its default: 30 s). */
const TIMEOUT_CHECK_INTERVAL_MS = 250;

function requestId(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export function createFastifyAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    genReqId: requestId,
    logger: false,
    // While draining, a request that arrives on a connection still open is served as usual
    // (readiness answers its own 503 problem+json), with `Connection: close` (see below).
    return503OnClosing: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Node answers a request without Host with a bare 400 before any hook runs; the service answers it (request-preconditions).
    http: { requireHostHeader: false, connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS },
    clientErrorHandler: handleClientError,
    frameworkErrors: answerFrameworkError,
  });
}

/**
 * Everything about the HTTP edge that Nest modules do not cover: the JSON body parser,
 * per-route body limits, the request id header, request metrics, the request log line,
 * timeouts and connection limits, security headers, what a request must be before it is
 * routed (Host, Expect, body encoding), 404/405, load shedding, `Connection: close` while
 * draining, and the API docs.
 * Call before `app.init()` (routes are registered there); the app must be created with
 * `{ bodyParser: false }` so that Nest does not install its own parsers.
 */
export function configureApp(app: NestFastifyApplication): void {
  const config = app.get<ConfigService<Environment, true>>(ConfigService);
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const bodyLimits: Record<string, number> = {
    '/ingest': ingestBodyLimitFor(config.get('MAX_PAYLOAD_BYTES', { infer: true })),
    '/ingest/batch': config.get('MAX_BATCH_BYTES', { infer: true }),
  };

  registerJsonBodyParser(fastify);
  app.get(HttpRequestMetrics).install(fastify);
  installRequestLog(fastify);
  applyServerLimits(fastify.server, {
    headersTimeoutMs: config.get('HTTP_HEADERS_TIMEOUT_MS', { infer: true }),
    requestTimeoutMs: config.get('HTTP_REQUEST_TIMEOUT_MS', { infer: true }),
    maxConnections: config.get('HTTP_MAX_CONNECTIONS', { infer: true }),
  });
  fastify.addHook('onRoute', (route) => {
    if (route.url in bodyLimits && [route.method].flat().includes('POST')) route.bodyLimit = bodyLimits[route.url];
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    rememberRequest(request.raw, reply.raw, request.id);
    done();
  });
  installSecurityHeaders(fastify);
  installRequestPreconditions(fastify);
  installUnmatchedRequestAnswers(fastify, { maxParamLength: MAX_PARAM_LENGTH });
  // Once shutdown has begun, a response to a request still in flight closes its connection:
  // a keep-alive client would otherwise hold it open and the server could not finish closing.
  const shutdown = app.get(ShutdownState);
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (shutdown.isShuttingDown) void reply.header('connection', 'close');
    done(null, payload);
  });
  // After the hooks above: a shed request still gets its X-Request-Id.
  registerLoadShedding(fastify, {
    maxEventLoopDelayMs: config.get('LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS', { infer: true }),
    sampleIntervalMs: config.get('LOAD_SHEDDING_SAMPLE_INTERVAL_MS', { infer: true }),
  });
  setupOpenApi(app);
}

/**
 * The payload limit applies to the payload as re-serialised (no whitespace); the raw body may
 * carry indentation and the envelope, so it is allowed twice that plus 16 KiB before a 413.
 */
export function ingestBodyLimitFor(maxPayloadBytes: number): number {
  return maxPayloadBytes * 2 + 16 * 1024;
}
