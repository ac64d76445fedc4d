import type { FastifyInstance, FastifyRequest } from 'fastify';
import FindMyWay from 'find-my-way';
import { quoted } from '../ingestion/domain/ingestion.errors';
import { problem, sendProblem } from './problem-details';
import { UNMATCHED_ROUTE, routeTemplateOf } from './route-template';

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export interface RouterSettings {
  /** As Fastify's router has it, so that both match the same paths. */
  maxParamLength: number;
}

/**
 * Call before any route is registered. A find-my-way router of its own, fed through `onRoute`, tells which methods
 * serve a path without adding a route to the app; HEAD goes wherever GET does, as Fastify adds those routes.
 */
export function installUnmatchedRequestAnswers(fastify: FastifyInstance, settings: RouterSettings): void {
  const routes = FindMyWay({ maxParamLength: settings.maxParamLength });
  const methods = new Set<string>();
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      methods.add(method);
      if (!routes.hasRoute(method as FindMyWay.HTTPMethod, route.url)) {
        routes.on(method as FindMyWay.HTTPMethod, route.url, () => undefined);
      }
    }
  });

  const allowedMethods = (url: string): string[] => {
    const allowed = [...methods].filter((method) => routes.find(method as FindMyWay.HTTPMethod, url) !== null);
    if (allowed.length === 0) return [];
    return [...new Set([...allowed, ...(allowed.includes('GET') ? ['HEAD'] : []), 'OPTIONS'])].sort(byMethodOrder);
  };

  fastify.addHook('onRequest', (request, reply, done) => {
    if (routeTemplateOf(request) !== UNMATCHED_ROUTE) return done();
    const allowed = allowedMethods(request.url);
    if (allowed.length === 0) {
      sendProblem(reply, notFound(request));
    } else if (request.method === 'OPTIONS') {
      void reply.status(204).header('allow', allowed.join(', ')).send();
    } else {
      sendProblem(
        reply.header('allow', allowed.join(', ')),
        problem(405, 'method-not-allowed', `${request.method} is not allowed here; see Allow.`),
      );
    }
  });
}

function notFound(request: FastifyRequest) {
  return problem(404, undefined, `Cannot ${request.method} ${quoted(request.url.split('?', 1)[0])}`);
}

function byMethodOrder(left: string, right: string): number {
  const rank = (method: string) => (METHOD_ORDER.includes(method) ? METHOD_ORDER.indexOf(method) : METHOD_ORDER.length);
  return rank(left) - rank(right) || left.localeCompare(right);
}
