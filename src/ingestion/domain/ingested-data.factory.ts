import { DataId } from './data-id.value-object';
import { IngestedData } from './ingested-data.aggregate';
import { PartnerId } from './partner-id.value-object';
import { DEFAULT_PAYLOAD_LIMITS, Payload, PayloadLimits } from './payload.value-object';
import { BatchFieldError, IngestionError, InvalidBatchError } from './ingestion.errors';
import { JsonText } from './json-text';
import { Timestamp } from './timestamp.value-object';

export interface IngestDataInput {
  partnerId: unknown;
  /** The parsed payload, or its `JsonText` as the partner wrote it. */
  payload: unknown;
}

export interface IngestionLimits extends PayloadLimits {
  maxBatchRecords?: number;
}

const DEFAULT_MAX_BATCH_RECORDS = 1000;

const RECORD_FIELDS = new Set(['partner_id', 'payload']);

export class IngestedDataFactory {
  constructor(
    private readonly limits: IngestionLimits = DEFAULT_PAYLOAD_LIMITS,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** All or none: every problem of every record in one `InvalidBatchError`, in record order. */
  createBatch(records: readonly unknown[], payloadTexts: ReadonlyArray<JsonText | undefined> = []): IngestedData[] {
    checkBatchSize(records.length, this.limits.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS);
    const timestamp = Timestamp.fromDate(this.clock());
    const errors: BatchFieldError[] = [];
    const created: IngestedData[] = [];
    records.forEach((record, index) => {
      const prefix = `records[${index}]`;
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        errors.push({ field: prefix, message: 'each record must be a JSON object' });
        return;
      }
      for (const key of Object.keys(record)) {
        if (!RECORD_FIELDS.has(key)) errors.push({ field: `${prefix}.${key}`, message: `${key} is not a known field` });
      }
      const { partner_id: partnerIdValue, payload: payloadValue } = record as Record<string, unknown>;
      const partnerId = collect(errors, () => PartnerId.create(partnerIdValue, `${prefix}.partner_id`));
      const payload = collect(errors, () =>
        Payload.create(payloadTexts[index] ?? payloadValue, this.limits, `${prefix}.payload`),
      );
      if (partnerId && payload)
        created.push(IngestedData.ingest({ id: DataId.generate(), partnerId, payload, timestamp }));
    });
    if (errors.length > 0) throw new InvalidBatchError(errors);
    return created;
  }

  create(input: IngestDataInput, fieldPrefix = ''): IngestedData {
    const partnerId = PartnerId.create(input.partnerId, `${fieldPrefix}partner_id`);
    const payload = Payload.create(input.payload, this.limits, `${fieldPrefix}payload`);
    return IngestedData.ingest({
      id: DataId.generate(),
      partnerId,
      payload,
      timestamp: Timestamp.fromDate(this.clock()),
    });
  }
}

export function checkBatchSize(count: number, maxRecords: number): void {
  if (count === 0 || count > maxRecords) {
    throw new InvalidBatchError([
      { field: 'records', message: `records must hold 1 to ${maxRecords} records, not ${count}.` },
    ]);
  }
}

function collect<T>(errors: BatchFieldError[], build: () => T): T | undefined {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof IngestionError)) throw error;
    errors.push({ field: error.field ?? 'records', message: error.message });
    return undefined;
  }
}
