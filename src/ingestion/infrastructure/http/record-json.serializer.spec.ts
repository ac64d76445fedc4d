import type { DataListItem } from '../../application/views/data-list.view';
import { DataListStream } from './record-json.serializer';

const row = (n: number): DataListItem => ({
  id: `id-${n}`,
  partnerId: 'acme',
  timestamp: '2026-01-01T00:00:00.000Z',
  payloadJson: `{"n":${n}}`,
});

/** Chunks as an iterator that counts its reads and its return(). */
function countedChunks(chunks: DataListItem[][]) {
  const counts = { reads: 0, returns: 0 };
  const iterator: AsyncIterableIterator<DataListItem[]> = {
    [Symbol.asyncIterator]: () => iterator,
    next: async () => {
      counts.reads += 1;
      const value = chunks.shift();
      return value === undefined ? { done: true, value: undefined } : { done: false, value };
    },
    return: async () => {
      counts.returns += 1;
      return { done: true, value: undefined };
    },
  };
  return { iterator, counts };
}

async function text(stream: DataListStream): Promise<string> {
  let body = '';
  for await (const data of stream) body += String(data);
  return body;
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('DataListStream', () => {
  it('writes a JSON array, or NDJSON, chunk by chunk', async () => {
    const json = countedChunks([[row(1), row(2)], [row(3)]]);
    const ndjson = countedChunks([[row(1)], [row(2)]]);

    expect(await text(new DataListStream({ chunks: json.iterator, includePayload: false }, 'json', 1000))).toBe(
      '[{"id":"id-1","partner_id":"acme","timestamp":"2026-01-01T00:00:00.000Z"},' +
        '{"id":"id-2","partner_id":"acme","timestamp":"2026-01-01T00:00:00.000Z"},' +
        '{"id":"id-3","partner_id":"acme","timestamp":"2026-01-01T00:00:00.000Z"}]',
    );
    expect(await text(new DataListStream({ chunks: ndjson.iterator, includePayload: true }, 'ndjson', 1000))).toBe(
      '{"id":"id-1","partner_id":"acme","timestamp":"2026-01-01T00:00:00.000Z","payload":{"n":1}}\n' +
        '{"id":"id-2","partner_id":"acme","timestamp":"2026-01-01T00:00:00.000Z","payload":{"n":2}}\n',
    );
    expect(
      await text(new DataListStream({ chunks: countedChunks([]).iterator, includePayload: false }, 'json', 1000)),
    ).toBe('[]');
  });

  it('reads one chunk per turn of the event loop, and none until asked', async () => {
    const { iterator, counts } = countedChunks([[row(1)], [row(2)], [row(3)]]);
    const stream = new DataListStream({ chunks: iterator, includePayload: false }, 'ndjson', 1000);
    await nextTurn();
    expect(counts.reads).toBe(0);

    stream.read(0);
    expect(counts.reads).toBe(0);
    await nextTurn();
    expect(counts.reads).toBe(1);
    stream.destroy();
  });

  it('fails as stalled when nothing reads it for the stall timeout, and returns the chunks', async () => {
    const { iterator, counts } = countedChunks([[row(1)], [row(2)]]);
    const stream = new DataListStream({ chunks: iterator, includePayload: false }, 'json', 50);
    const failed = new Promise<Error>((resolve) => stream.once('error', resolve));
    const closed = new Promise((resolve) => stream.once('close', resolve));

    expect(await failed).toEqual(expect.any(Error));
    await closed;
    expect({ stalled: stream.stalled, ...counts }).toEqual({ stalled: true, reads: 0, returns: 1 });
  });

  it('returns the chunks when destroyed, and is not stalled when its reader keeps reading', async () => {
    const { iterator, counts } = countedChunks([[row(1)], [row(2)]]);
    const stream = new DataListStream({ chunks: iterator, includePayload: false }, 'json', 50);

    expect(await text(stream)).toContain('"id-2"');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect({ stalled: stream.stalled, returns: counts.returns }).toEqual({ stalled: false, returns: 1 });
  });
});
