import { Command } from '@nestjs/cqrs';

/** Forget idempotency keys past their time, a small chunk at a time; answers how many went. */
export class PurgeExpiredIdempotencyKeysCommand extends Command<number> {
  constructor(readonly chunkSize = 500) {
    super();
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError('chunkSize must be a positive integer.');
  }
}
