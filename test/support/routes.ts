import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

/** One method of one route as Fastify registered it: `url` is its template (`/ingest/:id`). */
export interface RegisteredRoute {
  method: string;
  url: string;
}

/**
 * Records every route Fastify registers from now on (Nest's controllers, plugins, routes added
 * straight on the instance), through an `onRoute` hook. Fastify runs hooks only for routes
 * added after them, so call it before `configureApp` and `init`: `useTestApp({ beforeConfigure })`.
 * The array fills as the app boots.
 */
export function recordRoutes(app: NestFastifyApplication): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  return routes;
}
