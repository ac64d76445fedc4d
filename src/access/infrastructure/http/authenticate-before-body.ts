import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import { hasBody } from '../../../http/request-preconditions';
import type { ApiKeyAuthenticator } from '../../application/api-key.authenticator';
import { setRequestPrincipal } from './request-principal';

/**
 * A client without a valid key gets its 401 before its body is read: never a 400, 413 or 415
 * about a body it may not send. ApiKeyGuard then finds the principal.
 */
export function authenticateBeforeBody(
  fastify: FastifyInstance,
  authenticator: ApiKeyAuthenticator,
  prefix: string,
): void {
  const authenticate: onRequestAsyncHookHandler = async (request, reply) => {
    try {
      setRequestPrincipal(request, await authenticator.authenticate(request.headers.authorization));
    } catch (error) {
      if (hasBody(request)) void reply.header('connection', 'close');
      throw error;
    }
  };
  fastify.addHook('onRoute', (route) => {
    if (route.url === prefix || route.url.startsWith(`${prefix}/`)) {
      route.onRequest = [authenticate, ...[route.onRequest ?? []].flat()];
    }
  });
}
