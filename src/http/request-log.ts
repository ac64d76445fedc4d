import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import type { Level, Logger } from 'pino';
import { IncompleteOutcome, onIncompleteResponse } from './incomplete-response';
import { routeTemplateOf } from './route-template';

/**
 * One log line per request, when its response has been sent, through the app's pino logger
 * (nestjs-pino's): request id, method, route template, path, status and duration in ms.
 * Never a body, a header or a query string (a cursor or a filter is not worth the bytes);
 * a 201's `location` (the new record's path) is the one exception.
 *
 *   {"level":30,"reqId":"…","method":"GET","route":"/ingest/:id","path":"/ingest/0197…",
 *    "status":200,"durationMs":0.41,"msg":"GET /ingest/:id 200"}
 *
 * The `DataIngested` listener logs through the same logger (Nest's Logger is nestjs-pino's),
 * one `data ingested id=…` line per record. It does not repeat the request id: binding it
 * would take an async context per request (AsyncLocalStorage), which costs every promise of
 * the process on Node 20; the `location` of the request line leads to the record instead.
 *
 * A streamed response that ends before its last byte gets its line when its connection
 * closes, with the `outcome` (see `IncompleteOutcome`): info when the client went away, warn
 * when it stalled and was cut off, error when the server failed mid-body.
 *
 * A Fastify hook rather than pino-http as Nest middleware: the same line for a third of the
 * CPU time a request costs (no middleware layer, no per-request child logger or async
 * context); see the README's benchmark notes.
 */
export function installRequestLog(fastify: FastifyInstance, logger: () => Logger = () => PinoLogger.root): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = requestLogLevel(status);
    const log = logger();
    if (log.isLevelEnabled(level)) log[level](requestLine(request, reply), requestMessage(request, status));
    done();
  });
  onIncompleteResponse(fastify, (request, reply, outcome) => {
    const level = INCOMPLETE_LOG_LEVEL[outcome];
    const log = logger();
    if (!log.isLevelEnabled(level)) return;
    const line = requestLine(request, reply);
    line.outcome = outcome;
    log[level](line, `${requestMessage(request, reply.statusCode)} ${outcome}`);
  });
}

const INCOMPLETE_LOG_LEVEL: Record<IncompleteOutcome, Level> = {
  'client-closed': 'info',
  stalled: 'warn',
  failed: 'error',
};

/** 5xx: error, but 503 (load shed, database away, shutting down) and 507 (disk full) warn: the client retries. */
export function requestLogLevel(status: number): Level {
  if (status === 503 || status === 507) return 'warn';
  if (status >= 500) return 'error';
  return 'info';
}

function requestLine(request: FastifyRequest, reply: FastifyReply) {
  const line: Record<string, unknown> = {
    reqId: request.id,
    method: request.method,
    route: routeTemplateOf(request),
    path: request.url.split('?', 1)[0],
    status: reply.statusCode,
    durationMs: Math.round(reply.elapsedTime * 100) / 100,
  };
  // A new record's address: ties the request to the listener's `data ingested id=…` line.
  const location = reply.getHeader('location');
  if (location !== undefined) line.location = location;
  return line;
}

function requestMessage(request: FastifyRequest, status: number): string {
  return `${request.method} ${routeTemplateOf(request)} ${status}`;
}
