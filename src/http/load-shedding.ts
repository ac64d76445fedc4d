import type { FastifyInstance } from 'fastify';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { problem, sendProblem } from './problem-details';
import { routeTemplateOf } from './route-template';

export interface LoadSheddingSettings {
  maxEventLoopDelayMs: number;
  sampleIntervalMs: number;
}

/** Only new work is shed: /health/ready keeps answering, so the gateway still sees the service alive. */
export const SHED_ROUTES: ReadonlySet<string> = new Set(['POST /ingest', 'POST /ingest/batch']);

const OVERLOADED = problem(
  503,
  'overloaded',
  'The service is overloaded and refuses new records for now; retry later.',
);

/** The event loop delay histogram's resolution; its mean never drops below it, so it is subtracted. */
const RESOLUTION_MS = 10;

// Not @fastify/under-pressure: its `process.memoryUsage()` throws EMFILE in a timer, killing the process, once
// slow clients' sockets have used up the file descriptors.
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
    sendProblem(reply, OVERLOADED);
  });
  fastify.addHook('onClose', (_instance, done) => {
    clearInterval(sample);
    histogram.disable();
    done();
  });
}
