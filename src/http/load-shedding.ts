import type { FastifyInstance } from 'fastify';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { problem, PROBLEM_CONTENT_TYPE, RETRY_AFTER_SECONDS } from '../ingestion/infrastructure/http/problem-details';
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

/** The event loop delay histogram's resolution; its mean never drops below it, so it is subtracted. */
const RESOLUTION_MS = 10;

/**
 * Load shedding: while the event loop lags (its mean delay over the last sample passes
 * `maxEventLoopDelayMs`), a new ingest gets 503 problem+json with `Retry-After` at once,
 * before its body is read, instead of queueing without bound behind the work in hand. Every
 * other route is served as usual, so /health/ready keeps answering (it reports the database,
 * not the load) and the gateway sees the service alive. `fastify.isUnderPressure()` tells.
 *
 * The sampler reads only `monitorEventLoopDelay`: @fastify/under-pressure, which this replaces,
 * called `process.memoryUsage()` on every sample, which throws EMFILE in a timer (and so kills
 * the process) once the sockets of slow clients have used up the file descriptors.
 */
export function registerLoadShedding(fastify: FastifyInstance, settings: LoadSheddingSettings): void {
  if (settings.maxEventLoopDelayMs === 0) {
    fastify.decorate('isUnderPressure', () => false);
    return;
  }
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  let eventLoopDelayMs = 0;
  const sample = setInterval(
    () => {
      // No sample at all in a whole interval: the loop was blocked throughout (NaN mean).
      eventLoopDelayMs = Math.max(0, histogram.mean / 1e6 - RESOLUTION_MS);
      if (Number.isNaN(eventLoopDelayMs)) eventLoopDelayMs = Infinity;
      histogram.reset();
    },
    Math.max(RESOLUTION_MS, settings.sampleIntervalMs),
  );
  sample.unref();
  histogram.enable();
  const isUnderPressure = () => eventLoopDelayMs > settings.maxEventLoopDelayMs;

  fastify.decorate('isUnderPressure', isUnderPressure);
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!isUnderPressure() || !SHED_ROUTES.has(`${request.method} ${routeTemplateOf(request)}`)) return done();
    void reply
      .status(503)
      .header('retry-after', RETRY_AFTER_SECONDS)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(OVERLOADED);
  });
  fastify.addHook('onClose', (_instance, done) => {
    clearInterval(sample);
    histogram.disable();
    done();
  });
}
