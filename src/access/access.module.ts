import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Environment } from '../config/environment';
import { ApiKeysModule } from './api-keys.module';
import { AccessRefusalAudit } from './application/access-refusal.audit';
import { IssueStreamTokenHandler } from './application/commands/issue-stream-token.handler';
import { ApiKeyAuthenticator } from './application/api-key.authenticator';
import { OpenAccessWarning } from './application/open-access.warning';
import { AccessMetrics } from './application/ports/access.metrics';
import { ApiKeyGuard } from './infrastructure/http/api-key.guard';
import { RateLimitGuard } from './infrastructure/http/rate-limit.guard';
import { StreamTokenController } from './infrastructure/http/stream-token.controller';
import { PrometheusAccessMetrics } from './infrastructure/metrics/prometheus-access.metrics';
import { FixedWindowThrottlerStorage } from './infrastructure/rate-limit/fixed-window-throttler.storage';
import { SharedThrottlerStorage } from './infrastructure/rate-limit/shared-throttler.storage';

/** Routes opt in with both guards, ApiKeyGuard and RateLimitGuard (on @nestjs/throttler's options and storage). */
@Module({
  imports: [
    ApiKeysModule,
    ThrottlerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => {
        const perSecond = config.get('RATE_LIMIT_PER_SECOND', { infer: true });
        const burst = config.get('RATE_LIMIT_BURST', { infer: true });
        const redisUrl = config.get('REDIS_URL', { infer: true });
        const local = new FixedWindowThrottlerStorage();
        return {
          // A window of burst / rate seconds admits `burst` requests at once and `rate` per second on average.
          throttlers:
            perSecond === 0 ? [] : [{ name: 'default', limit: burst, ttl: Math.ceil((1000 * burst) / perSecond) }],
          storage: redisUrl === '' ? local : new SharedThrottlerStorage(redisUrl, local),
        };
      },
    }),
  ],
  controllers: [StreamTokenController],
  providers: [
    ApiKeyAuthenticator,
    IssueStreamTokenHandler,
    AccessRefusalAudit,
    { provide: AccessMetrics, useClass: PrometheusAccessMetrics },
    OpenAccessWarning,
    ApiKeyGuard,
    RateLimitGuard,
  ],
  exports: [ApiKeyAuthenticator, AccessRefusalAudit, ApiKeyGuard, RateLimitGuard],
})
export class AccessModule {}
