import type { DataListItem } from '../../application/views/data-list.view';
import { ExportLimitReachedError } from '../../domain/ingestion.errors';
import { ExportSlots } from './export-slots';
import { ChunkReader, ChunkSizes, StreamedChunks } from './streamed-chunks';

const SIZES: ChunkSizes = { maxRows: 2, maxBytes: 1024 * 1024, firstRows: 2 };

const row = (n: number): DataListItem => ({
  id: `id-${n}`,
  partnerId: 'acme',
  timestamp: '2026-01-01T00:00:00.000Z',
});

/** A reader over `chunks` that records its closes; `read` waits for `gate` when one is set. */
function fakeReader(chunks: DataListItem[][]) {
  const state = { closes: 0, reads: 0, gate: undefined as Promise<void> | undefined, failOnRead: 0 };
  const reader: ChunkReader = {
    read: async () => {
      state.reads += 1;
      if (state.gate) await state.gate;
      if (state.reads === state.failOnRead) throw new Error('read failed');
      return chunks.shift() ?? [];
    },
    close: async () => {
      state.closes += 1;
    },
  };
  return { reader, state };
}

describe('StreamedChunks', () => {
  let slots: ExportSlots;

  beforeEach(() => {
    slots = new ExportSlots(1);
  });

  it('yields every chunk, then closes the reader and gives the slot back as soon as the last chunk is read', async () => {
    const { reader, state } = fakeReader([[row(1), row(2)], [row(3)]]);
    const chunks = new StreamedChunks(reader, SIZES, slots.take());

    expect(await chunks.next()).toEqual({ done: false, value: [row(1), row(2)] });
    expect(slots.inUse).toBe(1);
    expect(await chunks.next()).toEqual({ done: false, value: [row(3)] });
    expect({ closes: state.closes, inUse: slots.inUse }).toEqual({ closes: 1, inUse: 0 });
    expect(await chunks.next()).toEqual({ done: true, value: undefined });
    await chunks.return();
    expect({ closes: state.closes, reads: state.reads, inUse: slots.inUse }).toEqual({ closes: 1, reads: 2, inUse: 0 });
  });

  it('gives everything back on return() when it was never iterated', async () => {
    const { reader, state } = fakeReader([[row(1), row(2)]]);
    const chunks = new StreamedChunks(reader, SIZES, slots.take());
    expect(() => slots.take()).toThrow(ExportLimitReachedError);

    await chunks.return();
    await chunks.return();

    expect({ closes: state.closes, reads: state.reads, inUse: slots.inUse }).toEqual({ closes: 1, reads: 0, inUse: 0 });
    expect(await chunks.next()).toEqual({ done: true, value: undefined });
  });

  it('closes only after a read under way has settled', async () => {
    const { reader, state } = fakeReader([
      [row(1), row(2)],
      [row(3), row(4)],
    ]);
    let open!: () => void;
    state.gate = new Promise((resolve) => (open = resolve));
    const chunks = new StreamedChunks(reader, SIZES, slots.take());

    const reading = chunks.next();
    const returning = chunks.return();
    await Promise.resolve();
    expect(state.closes).toBe(0);
    open();

    expect(await reading).toEqual({ done: false, value: [row(1), row(2)] });
    await returning;
    expect({ closes: state.closes, inUse: slots.inUse }).toEqual({ closes: 1, inUse: 0 });
    expect(await chunks.next()).toEqual({ done: true, value: undefined });
  });

  it('closes and gives the slot back when a read fails, and rethrows', async () => {
    const { reader, state } = fakeReader([
      [row(1), row(2)],
      [row(3), row(4)],
    ]);
    state.failOnRead = 2;
    const chunks = new StreamedChunks(reader, SIZES, slots.take());

    await chunks.next();
    await expect(chunks.next()).rejects.toThrow('read failed');

    expect({ closes: state.closes, inUse: slots.inUse }).toEqual({ closes: 1, inUse: 0 });
  });

  it('gives the slot back even when closing the reader fails', async () => {
    const { reader } = fakeReader([]);
    reader.close = () => Promise.reject(new Error('connection lost'));
    const chunks = new StreamedChunks(reader, SIZES, slots.take());

    await chunks.return();

    expect(slots.inUse).toBe(0);
  });

  describe('chunk sizes', () => {
    /** A reader over `count` rows whose payloads weigh `payloadBytes`, recording how many rows each read asked for. */
    function weighedReader(count: number, payloadBytes: number) {
      const asked: number[] = [];
      let served = 0;
      const reader: ChunkReader = {
        read: async (rows) => {
          asked.push(rows);
          const chunk = Array.from({ length: Math.min(rows, count - served) }, (_, i) => ({
            ...row(served + i),
            payloadJson: `"${'x'.repeat(payloadBytes - 2)}"`,
          }));
          served += chunk.length;
          return chunk;
        },
        close: async () => undefined,
      };
      return { reader, asked };
    }

    async function drain(chunks: StreamedChunks): Promise<number> {
      let rows = 0;
      for await (const chunk of chunks) rows += chunk.length;
      return rows;
    }

    it('weighs the first rows, then asks for as many as fit in maxBytes: heavy payloads never make a heavy chunk', async () => {
      const { reader, asked } = weighedReader(50, 400);
      const chunks = new StreamedChunks(reader, { maxRows: 1000, maxBytes: 2000, firstRows: 1 }, slots.take());

      expect(await drain(chunks)).toBe(50);
      // 100 bytes of summary and 400 of payload a row: 4 rows in 2000 bytes.
      expect(asked.slice(0, 3)).toEqual([1, 4, 4]);
      expect(Math.max(...asked)).toBe(4);
      expect(slots.inUse).toBe(0);
    });

    it('never asks for more than maxRows, however light the rows', async () => {
      const { reader, asked } = weighedReader(25, 2);
      const chunks = new StreamedChunks(reader, { maxRows: 10, maxBytes: 1024 * 1024, firstRows: 1 }, slots.take());

      expect(await drain(chunks)).toBe(25);
      expect(asked).toEqual([1, 10, 10, 10]);
    });
  });
});
