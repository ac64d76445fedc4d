import { createHash } from 'node:crypto';
import { IdempotencyKey } from './idempotency-key.value-object';
import { IdempotencyClaim } from './idempotency.claim';
import { IngestedData } from './ingested-data.aggregate';
import { Timestamp } from './timestamp.value-object';

/** Which operation a request is, for its fingerprint: the same key on another route is another request. */
export type IngestOperation = 'ingest' | 'ingest-batch';

/**
 * How long a request's idempotency key is remembered, and what makes two requests one.
 * Scope: the API key and the distinct partners the request names. Fingerprint: the operation
 * and every record's partner and payload, in order (JSON whitespace aside, key order counts).
 */
export class IdempotencyPolicy {
  private readonly ttlMs: number;

  constructor(ttlHours: number) {
    this.ttlMs = Math.round(ttlHours * 3_600_000);
  }

  expiresAt(createdAt: Timestamp): Timestamp {
    return Timestamp.fromDate(new Date(Date.parse(createdAt.value) + this.ttlMs));
  }

  /** `apiKeyId` null: open access, which keeps the scope that keys stored before access control had. */
  claim(
    operation: IngestOperation,
    key: IdempotencyKey,
    apiKeyId: string | null,
    records: readonly IngestedData[],
    response: unknown,
  ): IdempotencyClaim {
    const partners = [...new Set(records.map((record) => record.partnerId.value))].sort();
    const owner = apiKeyId === null ? '' : `api-key ${apiKeyId}\n`;
    const fingerprint = createHash('sha256').update(operation);
    for (const record of records) fingerprint.update(`\n${record.partnerId.value}\n${record.payload.json}`);
    const createdAt = Timestamp.now();
    return {
      scope: createHash('sha256')
        .update(owner + partners.join('\n'))
        .digest('hex'),
      key,
      fingerprint: fingerprint.digest('hex'),
      response: { status: 201, body: JSON.stringify(response) },
      createdAt,
      expiresAt: this.expiresAt(createdAt),
    };
  }
}
