import type { StoredDataSummary } from '../../domain/data.repository';

export interface ChunkReader {
  /** Fewer rows than a full chunk (or none) once the list is done. */
  read(): Promise<StoredDataSummary[]>;
  close(): Promise<void>;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * Not an async generator: its `finally` would not run for a consumer that never started. The reader is closed and the
 * slot given back exactly once; a `return()` during a read waits for that read before closing.
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
