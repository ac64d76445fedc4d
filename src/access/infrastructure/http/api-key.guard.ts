import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeyAuthenticator } from '../../application/api-key.authenticator';
import { requestPrincipal, setRequestPrincipal } from './request-principal';

/** Unless authenticateBeforeBody already did; a refusal (401) is an UnauthenticatedError for the problem filter. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly authenticator: ApiKeyAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (requestPrincipal(request) === undefined) {
      setRequestPrincipal(request, await this.authenticator.authenticate(request.headers.authorization));
    }
    return true;
  }
}
