import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';
import { onIncompleteResponse } from '../http/incomplete-response';
import { routeTemplateOf } from '../http/route-template';

export const HTTP_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Labelled by route template, never the raw path, so the series stay few; its `_count` is the request count. */
@Injectable()
export class HttpRequestMetrics {
  private readonly duration: Histogram<'method' | 'route' | 'status'>;
  private readonly incomplete: Counter<'method' | 'route' | 'status' | 'outcome'>;

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request to response sent, by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_DURATION_BUCKETS,
      registers: [registry],
    });
    this.incomplete = new Counter({
      name: 'http_responses_incomplete_total',
      help: 'Streamed responses cut before their last byte, by method, route template, status and outcome.',
      labelNames: ['method', 'route', 'status', 'outcome'],
      registers: [registry],
    });
  }

  /** Observes every response of the Fastify instance; call before routes are registered. */
  install(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      this.duration.observe(
        { method: request.method, route: routeTemplateOf(request), status: reply.statusCode },
        reply.elapsedTime / 1000,
      );
      done();
    });
    onIncompleteResponse(fastify, (request, reply, outcome) => {
      this.incomplete.inc({
        method: request.method,
        route: routeTemplateOf(request),
        status: reply.statusCode,
        outcome,
      });
    });
  }
}
