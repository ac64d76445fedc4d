import { CommandHandler, EventPublisher, ICommandHandler } from '@nestjs/cqrs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { DataRepository } from '../../domain/data.repository';
import { IdempotencyKey } from '../../domain/idempotency-key.value-object';
import { IdempotencyPolicy } from '../../domain/idempotency.policy';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { IngestedDataFactory } from '../../domain/ingested-data.factory';
import { IngestionMetrics } from '../ports/ingestion.metrics';
import type { BatchReceiptView } from '../views/batch-receipt.view';
import { receiptOf } from '../views/data-receipt.view';
import { replayOf, type IngestionResult } from '../views/ingestion.result';
import { IngestDataBatchCommand } from './ingest-data-batch.command';

@CommandHandler(IngestDataBatchCommand)
export class IngestDataBatchHandler implements ICommandHandler<IngestDataBatchCommand> {
  static readonly EVENT_CHUNK = 50;

  constructor(
    private readonly factory: IngestedDataFactory,
    private readonly repository: DataRepository,
    private readonly publisher: EventPublisher,
    private readonly policy: IdempotencyPolicy,
    private readonly metrics: IngestionMetrics,
  ) {}

  async execute(command: IngestDataBatchCommand): Promise<IngestionResult<BatchReceiptView>> {
    // The key is checked first: a bad key is a 400 whatever the body.
    const key = IdempotencyKey.createOptional(command.idempotencyKey);
    const records = this.factory
      .createBatch(command.records, command.payloadTexts)
      .map((record) => this.publisher.mergeObjectContext(record));
    command.principal.assertMayReach(records.map((record) => record.partnerId.value));
    const view = { records: records.map(receiptOf) };
    const claim = key && this.policy.claim('ingest-batch', key, command.principal.keyId, records, view);
    const outcome = await this.repository.save(records, claim);
    if (outcome.kind !== 'saved') return replayOf(outcome);
    this.metrics.recordsIngested(records.map((record) => record.payload.byteLength));
    await commitInChunks(records);
    return { view, replayed: false };
  }
}

/**
 * The EventBus's rxjs `mergeMap` made publishing a 1,000-record batch at once quadratic in the pending handler
 * calls; a turn of the event loop between chunks lets one chunk's calls settle first.
 */
async function commitInChunks(records: readonly IngestedData[]): Promise<void> {
  for (let start = 0; start < records.length; start += IngestDataBatchHandler.EVENT_CHUNK) {
    if (start > 0) await yieldToEventLoop();
    for (const record of records.slice(start, start + IngestDataBatchHandler.EVENT_CHUNK)) record.commit();
  }
}
