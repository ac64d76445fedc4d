import { Readable } from 'node:stream';
import type { StoredDataSummary } from '../../domain/data.repository';
import type { DataListView } from '../../application/views/data-list.view';

export const NDJSON = 'application/x-ndjson';
export const NDJSON_CONTENT_TYPE = `${NDJSON}; charset=utf-8`;
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export type DataListFormat = 'json' | 'ndjson';

export function negotiateListFormat(accept: string | undefined): DataListFormat {
  return accept !== undefined && accept.includes(NDJSON) ? 'ndjson' : 'json';
}

/**
 * Writes a list as a JSON array (or NDJSON) one database chunk at a time, so the response
 * never holds more than a chunk. Ids, partner ids and timestamps contain no character that
 * JSON escapes, and the payload column already holds serialised JSON: rows are spliced, not
 * re-encoded.
 */
export function serializeDataList(view: DataListView, format: DataListFormat): Readable {
  return Readable.from(format === 'json' ? jsonArray(view) : ndjsonLines(view), { objectMode: false });
}

async function* jsonArray(view: DataListView): AsyncGenerator<string> {
  yield '[';
  let first = true;
  for await (const chunk of view.chunks) {
    const text = chunk.map((row) => recordJson(row, view.includePayload)).join(',');
    yield first ? text : ',' + text;
    first = false;
  }
  yield ']';
}

async function* ndjsonLines(view: DataListView): AsyncGenerator<string> {
  for await (const chunk of view.chunks) {
    yield chunk.map((row) => recordJson(row, view.includePayload) + '\n').join('');
  }
}

/** `{"id","partner_id","timestamp"}`, plus `"payload"` when asked for and present. */
export function recordJson(row: StoredDataSummary, includePayload = true): string {
  const summary = `{"id":"${row.id}","partner_id":"${row.partnerId}","timestamp":"${row.timestamp}"`;
  return includePayload && row.payloadJson !== undefined ? `${summary},"payload":${row.payloadJson}}` : summary + '}';
}
