import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimitExceededError } from '../../domain/access.errors';
import { requestPrincipal } from './request-principal';

/**
 * One counter per API key across every guarded route (a batch is one request), after
 * ApiKeyGuard. Headers follow the IETF RateLimit draft (`RateLimit-Limit`, `-Remaining`,
 * `-Reset`), on refusals too. Open access (no key) has nothing to count by and is not limited.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected headerPrefix = 'RateLimit';

  protected async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return this.keyIdOf(context.switchToHttp().getRequest<FastifyRequest>()) === null;
  }

  protected async getTracker(request: Record<string, unknown>): Promise<string> {
    return this.keyIdOf(request as unknown as FastifyRequest) ?? '';
  }

  protected generateKey(_context: ExecutionContext, tracker: string, throttler: string): string {
    return `ingestion:rate-limit:${throttler}:${tracker}`;
  }

  protected async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    void reply
      .header('retry-after', retryAfter)
      .header('ratelimit-limit', detail.limit)
      .header('ratelimit-remaining', 0)
      .header('ratelimit-reset', retryAfter);
    throw new RateLimitExceededError(retryAfter);
  }

  private keyIdOf(request: FastifyRequest): string | null {
    return requestPrincipal(request)?.keyId ?? null;
  }
}
