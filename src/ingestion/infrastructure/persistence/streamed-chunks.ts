import type { DataListItem } from '../../application/views/data-list.view';

export interface ChunkReader {
  /** At most `rows` rows; fewer (or none) once the list is done. */
  read(rows: number): Promise<DataListItem[]>;
  close(): Promise<void>;
}

export interface ChunkSizes {
  maxRows: number;
  /** About how much text a chunk may carry: with payloads a row can weigh up to MAX_PAYLOAD_BYTES. */
  maxBytes: number;
  /** Rows of the first chunk, before any row has been weighed. */
  firstRows: number;
}

/** A row's summary members (id, partner, timestamp) as JSON text, about. */
const SUMMARY_BYTES = 100;

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * Not an async generator: its `finally` would not run for a consumer that never started. The reader is closed and the
 * slot given back exactly once; a `return()` during a read waits for that read before closing.
 */
export class StreamedChunks implements AsyncIterableIterator<DataListItem[]> {
  private reading: Promise<unknown> = Promise.resolve();
  private closing?: Promise<void>;
  private nextRows: number;

  constructor(
    private readonly reader: ChunkReader,
    private readonly sizes: ChunkSizes,
    private readonly releaseSlot: () => void,
  ) {
    this.nextRows = sizes.firstRows;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<DataListItem[]>> {
    if (this.closing) {
      await this.closing;
      return DONE;
    }
    const asked = this.nextRows;
    let rows: DataListItem[];
    try {
      const read = this.reader.read(asked);
      this.reading = read;
      rows = await read;
    } catch (error) {
      await this.close();
      throw error;
    }
    // The last chunk: free the connection before it is written out, not after.
    if (rows.length < asked) await this.close();
    if (rows.length === 0) return DONE;
    this.nextRows = this.rowsWithin(rows);
    return { done: false, value: rows };
  }

  async return(): Promise<IteratorResult<DataListItem[]>> {
    await this.close();
    return DONE;
  }

  /** As many rows as about `maxBytes` of rows like these: a chunk stays small whatever the payloads weigh. */
  private rowsWithin(rows: DataListItem[]): number {
    const bytes = rows.reduce((sum, row) => sum + SUMMARY_BYTES + (row.payloadJson?.length ?? 0), 0);
    return Math.max(1, Math.min(this.sizes.maxRows, Math.floor(this.sizes.maxBytes / (bytes / rows.length))));
  }

  private close(): Promise<void> {
    this.closing ??= this.reading
      .catch(() => undefined)
      .then(() => this.reader.close())
      .catch(() => undefined)
      .finally(this.releaseSlot);
    return this.closing;
  }
}
