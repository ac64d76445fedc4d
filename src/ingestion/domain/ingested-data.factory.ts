import { DataId } from './data-id.value-object';
import { IngestedData } from './ingested-data.aggregate';
import { PartnerId } from './partner-id.value-object';
import { DEFAULT_PAYLOAD_LIMITS, Payload, PayloadLimits } from './payload.value-object';
import { BatchFieldError, IngestionError, InvalidBatchError } from './ingestion.errors';
import { Timestamp } from './timestamp.value-object';

export interface IngestDataInput {
  partnerId: unknown;
  payload: unknown;
  /** The payload as the partner wrote it, when known: kept so that key order survives. */
  payloadText?: string;
}

export interface IngestionLimits extends PayloadLimits {
  maxBatchRecords?: number;
}

const DEFAULT_MAX_BATCH_RECORDS = 1000;

/**
 * The one place a new record is built: validates through the value objects, assigns a
 * fresh id and the receive time. `fieldPrefix` lets a caller name the record in errors.
 */
export class IngestedDataFactory {
  constructor(
    private readonly limits: IngestionLimits = DEFAULT_PAYLOAD_LIMITS,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** All or none: every problem of every record in one `InvalidBatchError`, the caller's shape errors included. */
  createBatch(
    inputs: ReadonlyArray<IngestDataInput | null>,
    shapeErrors: readonly BatchFieldError[] = [],
  ): IngestedData[] {
    checkBatchSize(inputs.length, this.limits.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS);
    const timestamp = Timestamp.fromDate(this.clock());
    const errors: BatchFieldError[] = [...shapeErrors];
    const records: IngestedData[] = [];
    inputs.forEach((input, index) => {
      if (input === null) return;
      const prefix = `records[${index}].`;
      const partnerId = collect(errors, () => PartnerId.create(input.partnerId, `${prefix}partner_id`));
      const payload = collect(errors, () =>
        Payload.create(input.payload, this.limits, `${prefix}payload`, input.payloadText),
      );
      if (partnerId && payload)
        records.push(IngestedData.ingest({ id: DataId.generate(), partnerId, payload, timestamp }));
    });
    if (errors.length > 0) throw new InvalidBatchError(errors.sort((a, b) => recordIndex(a) - recordIndex(b)));
    return records;
  }

  create(input: IngestDataInput, fieldPrefix = ''): IngestedData {
    const partnerId = PartnerId.create(input.partnerId, `${fieldPrefix}partner_id`);
    const payload = Payload.create(input.payload, this.limits, `${fieldPrefix}payload`, input.payloadText);
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

/** The record a batch error is about (`records[12].payload` → 12), for ordering. */
function recordIndex(error: BatchFieldError): number {
  return Number(/^records\[(\d+)\]/.exec(error.field)?.[1] ?? -1);
}
