import { Logger, OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import Redis from 'ioredis';
import { FixedWindowThrottlerStorage } from './fixed-window-throttler.storage';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Counters shared by every instance in Redis (REDIS_URL). While Redis cannot answer within
 * 250 ms, each instance counts alone: a Redis outage degrades the limit, never ingestion.
 */
export class SharedThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly redis: Redis;
  private readonly shared: ThrottlerStorageRedisService;
  private sharedReachable = true;

  constructor(
    url: string,
    private readonly local: FixedWindowThrottlerStorage,
  ) {
    this.redis = new Redis(url, {
      connectTimeout: 2_000,
      commandTimeout: 250,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    });
    this.redis.on('error', (error: Error) => this.unreachable(error));
    this.shared = new ThrottlerStorageRedisService(this.redis);
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    try {
      const record = await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
      if (!this.sharedReachable) {
        this.sharedReachable = true;
        this.logger.log('Redis answers again: rate limits are shared by every instance');
      }
      return record;
    } catch (error) {
      this.unreachable(error as Error);
      return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
    this.local.onApplicationShutdown();
  }

  private unreachable(error: Error): void {
    if (!this.sharedReachable) return;
    this.sharedReachable = false;
    this.logger.warn(`Redis does not answer (${error.message}): each instance counts rate limits alone until it does`);
  }
}
