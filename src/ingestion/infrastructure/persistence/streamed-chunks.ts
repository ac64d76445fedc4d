import type { StoredDataSummary } from '../../domain/data.repository';

/** One list open in the database, as an adapter reads it. */
export interface ChunkReader {
  /** The next rows in list order; fewer than a full chunk (or none) once the list is done. */
  read(): Promise<StoredDataSummary[]>;
  /** Frees what the list holds in the database (a transaction, a connection). Called once. */
  close(): Promise<void>;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * The chunks of one streamed list, with its export slot. The reader is closed and the slot
 * given back exactly once: after the last chunk is read, when a read fails, or on `return()`
 * (a consumer that stops early, or one that never started: an async generator's `finally`
 * would not run then). A `return()` during a read waits for that read before closing.
 */
export class StreamedChunks implements AsyncIterableIterator<StoredDataSummary[]> {
  private reading: Promise<unknown> = Promise.resolve();
  private closing?: Promise<void>;

  constructor(
    private readonly reader: ChunkReader,
    private readonly chunkSize: number,
    private readonly releaseSlot: () => void,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<StoredDataSummary[]>> {
    if (this.closing) {
      await this.closing;
      return DONE;
    }
    let rows: StoredDataSummary[];
    try {
      const read = this.reader.read();
      this.reading = read;
      rows = await read;
    } catch (error) {
      await this.close();
      throw error;
    }
    // The last chunk: free the connection before it is written out, not after.
    if (rows.length < this.chunkSize) await this.close();
    return rows.length === 0 ? DONE : { done: false, value: rows };
  }

  async return(): Promise<IteratorResult<StoredDataSummary[]>> {
    await this.close();
    return DONE;
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
