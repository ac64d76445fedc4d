import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimitExceededError } from '../../domain/access.errors';
import { requestPrincipal } from './request-principal';

/**
 * One counter per API key across every guarded route (a batch is one request), after
 * ApiKeyGuard, in the throttler's storage (ThrottlerModule: per instance, or Redis). Headers
 * follow the IETF RateLimit draft, on refusals too. Open access (no key) is not limited.
 *
 * ThrottlerGuard itself resolves six route-level overrides through the reflector and awaits
 * seven times per request: 6 µs of a 100 µs GET by id here. Routes have no overrides, so
 * this guard reads the module's one throttler once and makes one storage call per request.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  /** undefined: no limit (RATE_LIMIT_PER_SECOND=0 configures no throttler). */
  private readonly throttler?: ThrottlerOptions & { limit: number; ttl: number };

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
  ) {
    this.throttler = (Array.isArray(options) ? options : options.throttlers)[0] as RateLimitGuard['throttler'];
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const keyId = requestPrincipal(http.getRequest<FastifyRequest>())?.keyId ?? null;
    if (keyId === null || this.throttler === undefined) return true;
    const { limit, ttl, name = 'default' } = this.throttler;
    const record = await this.storage.increment(`ingestion:rate-limit:${name}:${keyId}`, ttl, limit, ttl, name);
    const reply = http.getResponse<FastifyReply>();
    if (record.isBlocked) {
      const retryAfter = Math.max(1, record.timeToBlockExpire);
      void reply
        .header('retry-after', retryAfter)
        .header('ratelimit-limit', limit)
        .header('ratelimit-remaining', 0)
        .header('ratelimit-reset', retryAfter);
      throw new RateLimitExceededError(retryAfter);
    }
    void reply
      .header('ratelimit-limit', limit)
      .header('ratelimit-remaining', Math.max(0, limit - record.totalHits))
      .header('ratelimit-reset', record.timeToExpire);
    return true;
  }
}
