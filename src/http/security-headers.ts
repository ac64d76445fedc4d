import type { FastifyInstance } from 'fastify';
import { isDocsRoute } from '../openapi/openapi';
import { routeTemplateOf } from './route-template';

/** On every API response, errors included: no MIME sniffing, no caching of records or problems. */
export const API_RESPONSE_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' } as const;

/**
 * What the Swagger UI at /docs needs: its scripts, styles and images are its own files under
 * /docs (no inline script; inline styles and data: images), the document is inlined in
 * swagger-ui-init.js, and "Try it out" calls this origin.
 */
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

/**
 * Security headers on every response. The docs keep the cache headers their static files get;
 * a route that sets its own `Cache-Control` wins over `no-store`.
 */
export function installSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(isDocsRoute(routeTemplateOf(request)) ? DOCS_HEADERS : API_RESPONSE_HEADERS);
    done();
  });
}
