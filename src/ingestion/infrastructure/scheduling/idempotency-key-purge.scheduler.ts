import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { PurgeExpiredIdempotencyKeysCommand } from '../../application/commands/purge-expired-idempotency-keys.command';

/** Runs the purge of expired idempotency keys in the background, once a minute. */
@Injectable()
export class IdempotencyKeyPurgeScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  static readonly INTERVAL_MS = 60_000;

  private readonly logger = new Logger(IdempotencyKeyPurgeScheduler.name);
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(private readonly commandBus: CommandBus) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.purge(), IdempotencyKeyPurgeScheduler.INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async purge(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const purged = await this.commandBus.execute(new PurgeExpiredIdempotencyKeysCommand());
      if (purged > 0) this.logger.log(`purged ${purged} expired idempotency keys`);
    } catch (error) {
      this.logger.error(
        'purging expired idempotency keys failed',
        error instanceof Error ? error.stack : String(error),
      );
    } finally {
      this.running = false;
    }
  }
}
