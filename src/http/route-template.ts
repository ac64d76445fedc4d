import type { FastifyRequest } from 'fastify';

export const UNMATCHED_ROUTE = '(unmatched)';

/** Never the path: one value per route keeps the request log, the latency metric and load shedding bounded. */
export function routeTemplateOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED_ROUTE;
}
