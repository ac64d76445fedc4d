import type { StoredDataSummary } from '../../domain/data.repository';

/**
 * A list of records, ready to be written out row by row. `chunks` is consumed once; for a
 * page it holds one chunk, for a full list it reads from the database as it is iterated.
 * `nextAfter` is set when more records may follow the page (the id to continue after).
 */
export interface DataListView {
  chunks: AsyncIterable<StoredDataSummary[]>;
  includePayload: boolean;
  nextAfter?: string;
}
