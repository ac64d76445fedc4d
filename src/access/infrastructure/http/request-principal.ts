import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../domain/principal.value-object';

const principals = new WeakMap<FastifyRequest, Principal>();

export function setRequestPrincipal(request: FastifyRequest, principal: Principal): void {
  principals.set(request, principal);
}

/** undefined before ApiKeyGuard ran (a request refused by it, or a route it does not guard). */
export function requestPrincipal(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}

/** The principal ApiKeyGuard authenticated, as a handler parameter. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = requestPrincipal(context.switchToHttp().getRequest<FastifyRequest>());
  if (principal === undefined) throw new Error('CurrentPrincipal on a route without ApiKeyGuard');
  return principal;
});
