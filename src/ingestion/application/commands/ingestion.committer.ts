import { Injectable } from '@nestjs/common';
import { EventPublisher } from '@nestjs/cqrs';
import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Principal } from '../../../access/domain/principal.value-object';
import { DataRepository } from '../../domain/data.repository';
import { IdempotencyKey } from '../../domain/idempotency-key.value-object';
import { IdempotencyPolicy } from '../../domain/idempotency.policy';
import { IdempotencyClaim } from '../../domain/idempotency.claim';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { IdempotencyKeyReusedError } from '../../domain/ingestion.errors';
import { Timestamp } from '../../domain/timestamp.value-object';
import { IngestionMetrics } from '../ports/ingestion.metrics';
import type { DataReceiptView } from '../views/data-receipt.view';
import type { IngestionResult } from '../views/ingestion.result';

/** Which operation a request is, for its fingerprint: the same key on another route is another request. */
export type IngestOperation = 'ingest' | 'ingest-batch';

/**
 * Saves new records and only then lets their `DataIngested` events go. With an
 * Idempotency-Key, the records, the key and the response are committed together; a retry
 * gets the stored response back and saves and publishes nothing.
 *
 * Scope: the API key and the distinct partners the request names. Fingerprint: the operation
 * and every record's partner and payload, in order (JSON whitespace aside, key order counts).
 */
@Injectable()
export class IngestionCommitter {
  static readonly EVENT_CHUNK = 50;

  constructor(
    private readonly repository: DataRepository,
    private readonly publisher: EventPublisher,
    private readonly policy: IdempotencyPolicy,
    private readonly metrics: IngestionMetrics,
  ) {}

  async commit<View>(
    operation: IngestOperation,
    records: IngestedData[],
    view: View,
    idempotencyKey: IdempotencyKey | undefined,
    principal: Principal,
  ): Promise<IngestionResult<View>> {
    const aggregates = records.map((record) => this.publisher.mergeObjectContext(record));
    if (idempotencyKey === undefined) {
      if (aggregates.length === 1) await this.repository.save(aggregates[0]);
      else await this.repository.saveAll(aggregates);
    } else {
      const outcome = await this.repository.saveAll(
        aggregates,
        this.claim(operation, aggregates, view, idempotencyKey, principal),
      );
      if (outcome.kind === 'mismatch') throw new IdempotencyKeyReusedError();
      if (outcome.kind === 'replay') return { view: JSON.parse(outcome.response.body) as View, replayed: true };
    }
    this.metrics.recordsIngested(aggregates.map((aggregate) => aggregate.payload.byteLength));
    await this.publishEvents(aggregates);
    return { view, replayed: false };
  }

  /**
   * The EventBus runs each handler through rxjs `mergeMap`, whose bookkeeping grows with the
   * number of handler calls still pending: publishing a 1,000-record batch at once made that
   * quadratic. In chunks, with a turn of the event loop between them, the pending calls of
   * one chunk settle before the next (and other requests get their turn).
   */
  private async publishEvents(aggregates: IngestedData[]): Promise<void> {
    for (let start = 0; start < aggregates.length; start += IngestionCommitter.EVENT_CHUNK) {
      if (start > 0) await yieldToEventLoop();
      for (const aggregate of aggregates.slice(start, start + IngestionCommitter.EVENT_CHUNK)) aggregate.commit();
    }
  }

  private claim(
    operation: IngestOperation,
    records: IngestedData[],
    view: unknown,
    key: IdempotencyKey,
    principal: Principal,
  ): IdempotencyClaim {
    const partners = [...new Set(records.map((record) => record.partnerId.value))].sort();
    // Open access keeps the scope that keys stored before access control had.
    const owner = principal.keyId === null ? '' : `api-key ${principal.keyId}\n`;
    const fingerprint = createHash('sha256').update(operation);
    for (const record of records) fingerprint.update(`\n${record.partnerId.value}\n${record.payload.json}`);
    const createdAt = Timestamp.now();
    return {
      scope: createHash('sha256')
        .update(owner + partners.join('\n'))
        .digest('hex'),
      key,
      fingerprint: fingerprint.digest('hex'),
      response: { status: 201, body: JSON.stringify(view) },
      createdAt,
      expiresAt: this.policy.expiresAt(createdAt),
    };
  }
}

export function receiptOf(record: IngestedData): DataReceiptView {
  return { id: record.id.value, partner_id: record.partnerId.value, timestamp: record.timestamp.value };
}
