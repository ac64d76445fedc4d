import type { BatchFieldError } from '../../domain/ingestion.errors';
import { checkBatchSize, type IngestDataInput } from '../../domain/ingested-data.factory';
import { batchPayloadSources } from './json-source';

const RECORD_FIELDS = new Set(['partner_id', 'payload']);

export interface BatchRecords {
  /** One input per record, with its payload's source text (key order); null for a record that is not an object. */
  records: Array<IngestDataInput | null>;
  /** What is wrong with the records' shape: not an object, or a field other than partner_id and payload. */
  errors: BatchFieldError[];
}

/**
 * The records of a batch body. Their shape is checked here, as IngestDataDto checks that of
 * `POST /ingest`; their values are checked by the factory, which reports both kinds of
 * problem together so that one answer lists every field at fault. The number of records is
 * checked first, so a refused batch costs the same whatever its records hold.
 */
export function batchRecordsFrom(records: unknown[], rawBody: string, maxRecords: number): BatchRecords {
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
