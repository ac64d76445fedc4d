import type { FastifyInstance, FastifyRequest } from 'fastify';
import FindMyWay from 'find-my-way';
import { problem, PROBLEM_CONTENT_TYPE } from '../ingestion/infrastructure/http/problem-details';
import { UNMATCHED_ROUTE, routeTemplateOf } from './route-template';

/** How much of an unknown path a 404 quotes back. */
const MAX_QUOTED_PATH = 100;

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export interface RouterSettings {
  /** As Fastify's router has it, so that both match the same paths. */
  maxParamLength: number;
}

/**
 * Answers a request that matched no route: `405` problem+json with `Allow` when its path is
 * served with other methods, `204` with `Allow` for OPTIONS there (no CORS: the methods are
 * all it tells), and `404` problem+json otherwise. Which methods serve a path is asked of a
 * find-my-way router (Fastify's router library) fed every route through an `onRoute` hook, so
 * no route is added to the app. HEAD is allowed wherever GET is (Fastify adds those routes).
 *
 * Call before any route is registered (before `app.init()`).
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
      void reply.status(404).header('content-type', PROBLEM_CONTENT_TYPE).send(notFound(request));
    } else if (request.method === 'OPTIONS') {
      void reply.status(204).header('allow', allowed.join(', ')).send();
    } else {
      void reply
        .status(405)
        .header('allow', allowed.join(', '))
        .header('content-type', PROBLEM_CONTENT_TYPE)
        .send(problem(405, 'method-not-allowed', `${request.method} is not allowed here; see Allow.`));
    }
  });
}

function notFound(request: FastifyRequest) {
  const path = request.url.split('?', 1)[0];
  const quoted = path.length > MAX_QUOTED_PATH ? `${path.slice(0, MAX_QUOTED_PATH)}…` : path;
  return problem(404, undefined, `Cannot ${request.method} ${quoted}`);
}

function byMethodOrder(left: string, right: string): number {
  const rank = (method: string) => (METHOD_ORDER.includes(method) ? METHOD_ORDER.indexOf(method) : METHOD_ORDER.length);
  return rank(left) - rank(right) || left.localeCompare(right);
}
