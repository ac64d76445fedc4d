import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { hasBody } from '../../../http/request-preconditions';
import type { ApiKeyAuthenticator } from '../../application/api-key.authenticator';
import type { Principal } from '../../domain/principal.value-object';
import { setRequestPrincipal } from './request-principal';

export interface AuthenticatedRoutes {
  /** Every route under it needs a credential. */
  prefix: string;
  /** GET routes that also take a stream token as `?access_token=` (RFC 6750 §2.3), for EventSource. */
  queryTokenRoutes: readonly string[];
}

/** A 401 before the body is read: never a 400, 413 or 415 about a body the client may not send. */
export function authenticateBeforeBody(
  fastify: FastifyInstance,
  authenticator: ApiKeyAuthenticator,
  { prefix, queryTokenRoutes }: AuthenticatedRoutes,
): void {
  const hook = (authenticate: (request: FastifyRequest) => Promise<Principal>): onRequestAsyncHookHandler =>
    async function authenticateFirst(request, reply) {
      try {
        setRequestPrincipal(request, await authenticate(request));
      } catch (error) {
        if (hasBody(request)) void reply.header('connection', 'close');
        throw error;
      }
    };
  const byHeader = hook((request) => authenticator.authenticate(request.headers.authorization));
  const byHeaderOrQueryToken = hook((request) => {
    const token = (request.query as Record<string, unknown> | undefined)?.access_token;
    return typeof token === 'string' && request.headers.authorization === undefined
      ? authenticator.authenticateStreamToken(token)
      : authenticator.authenticate(request.headers.authorization);
  });
  fastify.addHook('onRoute', (route) => {
    if (route.url === prefix || route.url.startsWith(`${prefix}/`)) {
      const takesQueryToken = queryTokenRoutes.includes(route.url) && [route.method].flat().includes('GET');
      route.onRequest = [takesQueryToken ? byHeaderOrQueryToken : byHeader, ...[route.onRequest ?? []].flat()];
    }
  });
}
