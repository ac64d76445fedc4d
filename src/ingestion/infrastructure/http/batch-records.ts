import type { BatchFieldError } from '../../domain/ingestion.errors';
import { checkBatchSize, type IngestDataInput } from '../../domain/ingested-data.factory';
import { batchPayloadSources } from './json-source';

const RECORD_FIELDS = new Set(['partner_id', 'payload']);

export interface BatchRecords {
  records: Array<IngestDataInput | null>;
  errors: BatchFieldError[];
}

/** Shape errors are returned, not thrown: the factory reports them with its own, so one answer lists every field. */
export function batchRecordsFrom(records: unknown[], rawBody: string, maxRecords: number): BatchRecords {
  // First, so that a refused batch costs the same whatever its records hold.
  checkBatchSize(records.length, maxRecords);
  const payloadTexts = batchPayloadSources(rawBody);
  const errors: BatchFieldError[] = [];
  const inputs = records.map((record, index): IngestDataInput | null => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      errors.push({ field: `records[${index}]`, message: 'each record must be a JSON object' });
      return null;
    }
    for (const key of Object.keys(record)) {
      if (!RECORD_FIELDS.has(key))
        errors.push({ field: `records[${index}].${key}`, message: `${key} is not a known field` });
    }
    const { partner_id: partnerId, payload } = record as Record<string, unknown>;
    return { partnerId, payload, payloadText: payloadTexts[index] };
  });
  return { records: inputs, errors };
}
