import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import type { Level, Logger } from 'pino';
import { IncompleteOutcome, onIncompleteResponse } from './incomplete-response';
import { routeTemplateOf } from './route-template';

/** A Fastify hook, not pino-http middleware: the same line for a third of the CPU (README, benchmark notes). */
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
  // Ties the request to the listener's `data ingested id=…` line, which has no request id: binding one would need
  // AsyncLocalStorage, which costs every promise of the process on Node 20.
  const location = reply.getHeader('location');
  if (location !== undefined) line.location = location;
  return line;
}

function requestMessage(request: FastifyRequest, status: number): string {
  return `${request.method} ${routeTemplateOf(request)} ${status}`;
}
