import underPressure from '@fastify/under-pressure';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  problem,
  PROBLEM_CONTENT_TYPE,
  RETRY_AFTER_SECONDS,
  type ProblemDetails,
} from '../ingestion/infrastructure/http/problem-details';
import { routeTemplateOf } from './route-template';

export interface LoadSheddingSettings {
  /** Mean event loop delay, over one sample, past which new ingests are refused (0: never). */
  maxEventLoopDelayMs: number;
  sampleIntervalMs: number;
}

/** The routes that are shed: new work. Reads, health, metrics and docs are always served. */
export const SHED_ROUTES: ReadonlySet<string> = new Set(['POST /ingest', 'POST /ingest/batch']);

const OVERLOADED = problem(
  503,
  'overloaded',
  'The service is overloaded and refuses new records for now; retry later.',
);

/**
 * Load shedding with @fastify/under-pressure: while the event loop lags (its mean delay over
 * the last sample passes `maxEventLoopDelayMs`), a new ingest gets 503 problem+json with
 * `Retry-After` at once, before its body is read, instead of queueing without bound behind
 * the work in hand. Every other route is served as usual, so /health/ready keeps answering
 * (it reports the database, not the load) and the gateway sees the service alive.
 *
 * Call before `app.init()`; the plugin loads with the others when Fastify gets ready.
 */
export function registerLoadShedding(fastify: FastifyInstance, settings: LoadSheddingSettings): void {
  if (settings.maxEventLoopDelayMs === 0) return;
  void fastify.register(underPressure, {
    maxEventLoopDelay: settings.maxEventLoopDelayMs,
    sampleInterval: settings.sampleIntervalMs,
    pressureHandler: shedIngests as unknown as UnderPressureHandler,
  });
}

type UnderPressureHandler = NonNullable<Parameters<typeof underPressure>[1]['pressureHandler']>;

/**
 * under-pressure serves the request as usual when this returns nothing, and sends what it
 * returns otherwise (its typings say `void`; its code and README say so).
 */
function shedIngests(request: FastifyRequest, reply: FastifyReply): ProblemDetails | undefined {
  if (!isShed(request)) return undefined;
  void reply.status(503).header('retry-after', RETRY_AFTER_SECONDS).header('content-type', PROBLEM_CONTENT_TYPE);
  return OVERLOADED;
}

function isShed(request: FastifyRequest): boolean {
  return SHED_ROUTES.has(`${request.method} ${routeTemplateOf(request)}`);
}
