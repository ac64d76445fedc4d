import type { FastifyRequest } from 'fastify';

/** The route of a request that matched none (a 404): one value, whatever the path. */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * The template of the route a request matched (`/ingest/:id`), never its path: what the
 * request log, the latency metric and load shedding name a request by.
 */
export function routeTemplateOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED_ROUTE;
}
