import type { IngestDataInput } from '../../domain/ingested-data.factory';
import { FieldError, RequestValidationError } from './request-validation.error';
import { arrayElementSources, objectMemberSources } from './json-source';

const RECORD_FIELDS = new Set(['partner_id', 'payload']);

/**
 * The records of a batch body, each with its payload's source text (key order). Checks each
 * record's shape as IngestDataDto does for `POST /ingest`: an object with `partner_id` and
 * `payload` only. Every problem of every record is reported at once, as `records[i]…`.
 */
export function batchRecordsFrom(records: unknown[], rawBody: string): IngestDataInput[] {
  const errors: FieldError[] = [];
  records.forEach((record, index) => {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      errors.push({ field: `records[${index}]`, message: 'each record must be a JSON object' });
      return;
    }
    for (const key of Object.keys(record)) {
      if (!RECORD_FIELDS.has(key))
        errors.push({ field: `records[${index}].${key}`, message: `${key} is not a known field` });
    }
    for (const key of RECORD_FIELDS) {
      if (!(key in record)) errors.push({ field: `records[${index}].${key}`, message: `${key} is required` });
    }
  });
  if (errors.length > 0) throw new RequestValidationError(errors, 'The batch is not valid; nothing was stored.');

  const recordTexts = arrayElementSources(objectMemberSources(rawBody).get('records') ?? '[]');
  return (records as Array<Record<string, unknown>>).map((record, index) => ({
    partnerId: record.partner_id,
    payload: record.payload,
    payloadText: objectMemberSources(recordTexts[index]).get('payload'),
  }));
}
