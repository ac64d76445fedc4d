import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { DataRepository } from '../../domain/data.repository';
import { Timestamp } from '../../domain/timestamp.value-object';
import { PurgeExpiredIdempotencyKeysCommand } from './purge-expired-idempotency-keys.command';

/** Deletes in chunks and yields between them, so that ingestion never waits behind a long delete. */
@CommandHandler(PurgeExpiredIdempotencyKeysCommand)
export class PurgeExpiredIdempotencyKeysHandler implements ICommandHandler<PurgeExpiredIdempotencyKeysCommand> {
  constructor(private readonly repository: DataRepository) {}

  async execute(command: PurgeExpiredIdempotencyKeysCommand): Promise<number> {
    const now = Timestamp.now();
    let total = 0;
    for (;;) {
      const deleted = await this.repository.purgeExpiredClaims(now, command.chunkSize);
      total += deleted;
      if (deleted < command.chunkSize) return total;
      await yieldToEventLoop();
    }
  }
}
