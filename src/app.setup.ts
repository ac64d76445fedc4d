import { ConfigService } from '@nestjs/config';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Environment } from './config/environment';
import { ApiKeyAuthenticator } from './access/application/api-key.authenticator';
import { authenticateBeforeBody } from './access/infrastructure/http/authenticate-before-body';
import { ShutdownState } from './health/shutdown-state';
import { setupOpenApi } from './openapi/openapi';
import { handleClientError, rememberRequest } from './http/client-error.handler';
import { answerFrameworkError } from './http/framework-errors';
import { registerJsonBodyParser } from './http/json-body.parser';
import { registerLoadShedding } from './http/load-shedding';
import { installRequestLog } from './http/request-log';
import { installRequestPreconditions } from './http/request-preconditions';
import { installSecurityHeaders } from './http/security-headers';
import { applyServerLimits } from './http/server-limits';
import { TrustedProxies } from './http/trusted-proxies';
import { installUnmatchedRequestAnswers } from './http/unmatched-requests';
import { HttpRequestMetrics } from './metrics/http-request.metrics';

const ACCEPTABLE_REQUEST_ID = /^[\x21-\x7e]{1,200}$/;

/** Fastify's default (100) answers 414 where the contract wants 404 or 400; Node's 16 KiB header limit bounds it. */
const MAX_PARAM_LENGTH = 16 * 1024;

/** How often Node looks for requests past HTTP_HEADERS_TIMEOUT_MS or HTTP_REQUEST_TIMEOUT_MS (its default: 30 s). */
const TIMEOUT_CHECK_INTERVAL_MS = 250;

function requestId(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export function createFastifyAdapter(): FastifyAdapter {
  const trustedProxies = new TrustedProxies();
  const adapter = new FastifyAdapter({
    genReqId: requestId,
    trustProxy: trustedProxies.trust,
    logger: false,
    // While draining, requests on connections still open are served (with `Connection: close`); readiness says 503.
    return503OnClosing: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Node would answer a request without Host with a bare 400 before any hook runs (see request-preconditions).
    http: { requireHostHeader: false, connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS },
    clientErrorHandler: handleClientError,
    frameworkErrors: answerFrameworkError,
  });
  trustedProxies.attachTo(adapter.getInstance());
  return adapter;
}

/** Call before `app.init()` (routes are registered there), on an app created with `{ bodyParser: false }`. */
export function configureApp(app: NestFastifyApplication): void {
  const config = app.get<ConfigService<Environment, true>>(ConfigService);
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  fastify.trustedProxies.configure(config.get('TRUST_PROXY', { infer: true }));
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
    keepAliveTimeoutMs: config.get('HTTP_KEEP_ALIVE_TIMEOUT_MS', { infer: true }),
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
  authenticateBeforeBody(fastify, app.get(ApiKeyAuthenticator), {
    prefix: '/ingest',
    queryTokenRoutes: ['/ingest/stream'],
  });
  // Once draining, a keep-alive client would otherwise hold its connection and the server could not finish closing.
  // Not before: a gateway that reconnects for every request meanwhile leaves connections in the listen queue, and
  // those are reset when the listener closes.
  const shutdown = app.get(ShutdownState);
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (shutdown.isDraining) void reply.header('connection', 'close');
    done(null, payload);
  });
  // After the hooks above: a shed request still gets its X-Request-Id.
  registerLoadShedding(fastify, {
    maxEventLoopDelayMs: config.get('LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS', { infer: true }),
    sampleIntervalMs: config.get('LOAD_SHEDDING_SAMPLE_INTERVAL_MS', { infer: true }),
  });
  setupOpenApi(app);
}

/** MAX_PAYLOAD_BYTES counts the re-serialised payload; the raw body also carries indentation and the envelope. */
export function ingestBodyLimitFor(maxPayloadBytes: number): number {
  return maxPayloadBytes * 2 + 16 * 1024;
}
