import type { DataId } from '../../domain/data-id.value-object';
import type { DataListItem } from '../views/data-list.view';
import type { IngestedDataView } from '../views/ingested-data.view';

/** Filters combine with AND; `validDataListFilter` checks and normalises them before the port sees them. */
export interface DataListFilter {
  partnerId?: string;
  /** Only records after this one in the event log (the cursor). */
  after?: string;
  /** `since` is inclusive, `until` exclusive. */
  since?: string;
  until?: string;
  /** One page of at most this many records; without it the whole list streams. */
  limit?: number;
  includePayload?: boolean;
}

/** Port to the records as the read routes show them: views straight from storage, in event-log order. */
export abstract class RecordReadModel {
  abstract findById(id: DataId): Promise<IngestedDataView | null>;

  /** Throws `UnknownCursorError` when `filter.after` names no record (as does `streamChunks`). */
  abstract findPage(filter: DataListFilter & { limit: number }): Promise<DataListItem[]>;

  /** Resolves once the cursor is checked and the snapshot fixed; holds database resources until the last chunk or `return()`. */
  abstract streamChunks(filter: DataListFilter): Promise<AsyncIterable<DataListItem[]>>;
}
