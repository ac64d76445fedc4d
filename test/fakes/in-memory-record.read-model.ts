import { DataListFilter, RecordReadModel } from '../../src/ingestion/application/ports/record.read-model';
import type { DataListItem } from '../../src/ingestion/application/views/data-list.view';
import type { IngestedDataView } from '../../src/ingestion/application/views/ingested-data.view';
import { DataId } from '../../src/ingestion/domain/data-id.value-object';
import { IngestedData } from '../../src/ingestion/domain/ingested-data.aggregate';
import { UnknownCursorError } from '../../src/ingestion/domain/ingestion.errors';

/** One stored record, as the SQL adapter keeps it: an event-log position and the payload as JSON text. */
interface StoredRow extends IngestedDataView {
  position: number;
}

export interface InMemoryRecordReadModelOptions {
  /** Rows per chunk of `streamChunks` (the SQL adapter reads 1000 at a time). */
  chunkSize?: number;
}

/**
 * The `RecordReadModel` port in memory, with the SQL adapter's semantics: the list order is the order
 * records were added, `after` is a keyset cursor that must name a stored record, `since` is inclusive
 * and `until` exclusive, and a stream lists what was stored when it started.
 */
export class InMemoryRecordReadModel extends RecordReadModel {
  static readonly DEFAULT_CHUNK_SIZE = 1000;

  private readonly rows: StoredRow[] = [];
  private readonly chunkSize: number;

  constructor(options: InMemoryRecordReadModelOptions = {}) {
    super();
    this.chunkSize = options.chunkSize ?? InMemoryRecordReadModel.DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(this.chunkSize) || this.chunkSize < 1) {
      throw new RangeError(`chunkSize must be a positive integer, got ${this.chunkSize}`);
    }
  }

  /** Stores records as ingestion would have committed them, in this order. */
  add(...records: IngestedData[]): void {
    for (const record of records) {
      this.rows.push({
        position: this.rows.length + 1,
        id: record.id.value,
        partnerId: record.partnerId.value,
        timestamp: record.timestamp.value,
        payloadJson: record.payload.json,
      });
    }
  }

  async findById(id: DataId): Promise<IngestedDataView | null> {
    const row = this.rows.find((candidate) => candidate.id === id.value);
    return row
      ? { id: row.id, partnerId: row.partnerId, timestamp: row.timestamp, payloadJson: row.payloadJson }
      : null;
  }

  async findPage(filter: DataListFilter & { limit: number }): Promise<DataListItem[]> {
    if (!Number.isInteger(filter.limit) || filter.limit < 0) {
      throw new RangeError(`limit must be a non-negative integer, got ${filter.limit}`);
    }
    return this.select(filter, this.positionAfter(filter), this.rows.length, filter.limit).map((row) =>
      toItem(row, filter),
    );
  }

  async streamChunks(filter: DataListFilter): Promise<AsyncIterable<DataListItem[]>> {
    return this.chunksBetween(filter, this.positionAfter(filter), this.rows.length);
  }

  private async *chunksBetween(filter: DataListFilter, after: number, last: number): AsyncIterable<DataListItem[]> {
    for (;;) {
      const rows = this.select(filter, after, last, this.chunkSize);
      if (rows.length > 0) yield rows.map((row) => toItem(row, filter));
      if (rows.length < this.chunkSize) return;
      after = rows[rows.length - 1].position;
    }
  }

  private positionAfter(filter: DataListFilter): number {
    if (filter.after === undefined) return 0;
    const cursor = this.rows.find((row) => row.id === filter.after);
    if (!cursor) throw new UnknownCursorError(filter.after);
    return cursor.position;
  }

  private select(filter: DataListFilter, after: number, last: number, limit: number): StoredRow[] {
    const selected: StoredRow[] = [];
    for (const row of this.rows) {
      if (selected.length >= limit) break;
      if (row.position <= after || row.position > last) continue;
      if (filter.partnerId !== undefined && row.partnerId !== filter.partnerId) continue;
      // Normalised RFC 3339 UTC strings compare in time order, as the SQL adapter compares them.
      if (filter.since !== undefined && row.timestamp < filter.since) continue;
      if (filter.until !== undefined && row.timestamp >= filter.until) continue;
      selected.push(row);
    }
    return selected;
  }
}

function toItem(row: StoredRow, filter: DataListFilter): DataListItem {
  const item: DataListItem = { id: row.id, partnerId: row.partnerId, timestamp: row.timestamp };
  if (filter.includePayload) item.payloadJson = row.payloadJson;
  return item;
}
