import type { FastifyInstance } from 'fastify';
import { isDocsRoute } from '../openapi/openapi';
import { routeTemplateOf } from './route-template';

export const API_RESPONSE_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' } as const;

/** Swagger UI's scripts are its own files; it needs inline styles and data: images; "Try it out" calls this origin. */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
].join('; ');

const DOCS_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': DOCS_CONTENT_SECURITY_POLICY,
} as const;

/** The docs keep their static files' cache headers; a route that sets its own `Cache-Control` overrides `no-store`. */
export function installSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(isDocsRoute(routeTemplateOf(request)) ? DOCS_HEADERS : API_RESPONSE_HEADERS);
    done();
  });
}
