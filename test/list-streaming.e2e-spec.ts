import type { Readable } from 'node:stream';
import { DataSource, QueryRunner } from 'typeorm';
import { RecordReadModel } from '../src/ingestion/application/ports/record.read-model';
import type { DataListItem } from '../src/ingestion/application/views/data-list.view';
import { get, JSON_CONTENT_TYPE, NDJSON_CONTENT_TYPE, Receipt, waitFor } from './support/http';
import { insertRows, SeedRow, seedRows } from './support/database';
import { useTestApp } from './support/test-app';

const ROWS = 50_000;
/** The most rows one database read may return (the read model's chunk size). */
const MAX_CHUNK = 1000;

/** Every 10th row belongs to `minor`, the rest to `major`. */
const partnerOf = (index: number) => (index % 10 === 9 ? 'minor' : 'major');

/** Compares long id lists cheaply: the length and the first index where they differ (-1: none). */
function sameOrder(actual: string[], expected: string[]): { length: number; firstDifference: number } {
  const firstDifference = expected.findIndex((id, index) => actual[index] !== id);
  return { length: actual.length, firstDifference };
}

describe('streamed lists over 50,000 records', () => {
  const context = useTestApp();
  let rows: SeedRow[];

  /** Wraps the read model's streamChunks to record the size of every chunk it yields. */
  function recordChunks(): number[] {
    const readModel = context.app.get(RecordReadModel);
    const original = readModel.streamChunks.bind(readModel);
    const sizes: number[] = [];
    jest.spyOn(readModel, 'streamChunks').mockImplementation(async (filter) => {
      const source = await original(filter);
      return (async function* (): AsyncGenerator<DataListItem[]> {
        for await (const chunk of source) {
          sizes.push(chunk.length);
          yield chunk;
        }
      })();
    });
    return sizes;
  }

  /**
   * Records how many rows each read of the records returned: every SELECT on "ingested_data"
   * and every FETCH from a cursor (PostgreSQL streams lists through a server-side cursor).
   * Every statement, DataSource.query's included, runs through the driver's QueryRunner.query:
   * that method is wrapped on its prototype (restored by restoreAllMocks).
   */
  function recordSelects(): Array<{ sql: string; rows: number }> {
    const dataSource = context.app.get(DataSource);
    const prototype = Object.getPrototypeOf(dataSource.createQueryRunner()) as QueryRunner;
    const original = prototype.query;
    const selects: Array<{ sql: string; rows: number }> = [];
    jest.spyOn(prototype, 'query').mockImplementation(async function (
      this: QueryRunner,
      ...args: Parameters<QueryRunner['query']>
    ) {
      const result: unknown = await original.apply(this, args);
      const [sql] = args;
      const isRead = /^\s*FETCH\b/i.test(sql) || (/^\s*SELECT\b/i.test(sql) && /"ingested_data"/.test(sql));
      // A structured result (useStructuredResult) carries its rows in `records`.
      const rows: unknown = Array.isArray(result) ? result : (result as { records?: unknown } | null)?.records;
      if (isRead && Array.isArray(rows)) selects.push({ sql, rows: rows.length });
      return result;
    });
    return selects;
  }

  beforeAll(async () => {
    rows = seedRows(ROWS, partnerOf, new Date('2026-01-01T00:00:00.000Z'));
    await insertRows(context.database, rows);
  });

  afterEach(() => jest.restoreAllMocks());

  it('GET /ingest/all answers all 50,000 records in ingestion order, read in chunks of at most 1000 rows', async () => {
    const chunks = recordChunks();
    const selects = recordSelects();

    const response = await get(context.app, '/ingest/all');

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(JSON_CONTENT_TYPE);
    const body = response.json<Receipt[]>();
    expect(body).toHaveLength(ROWS);
    expect(
      sameOrder(
        body.map((record) => record.id),
        rows.map((row) => row.id),
      ),
    ).toEqual({ length: ROWS, firstDifference: -1 });
    expect(body[0]).toEqual({ id: rows[0].id, partner_id: rows[0].partner_id, timestamp: rows[0].timestamp });
    expect(body[ROWS - 1]).toEqual({
      id: rows[ROWS - 1].id,
      partner_id: rows[ROWS - 1].partner_id,
      timestamp: rows[ROWS - 1].timestamp,
    });

    expect(chunks.reduce((sum, size) => sum + size, 0)).toBe(ROWS);
    expect(Math.max(...chunks)).toBeLessThanOrEqual(MAX_CHUNK);
    expect(chunks.length).toBeGreaterThanOrEqual(ROWS / MAX_CHUNK);
    expect(Math.max(...selects.map((select) => select.rows))).toBeLessThanOrEqual(MAX_CHUNK);
    expect(selects.filter((select) => select.rows > 0).length).toBeGreaterThanOrEqual(ROWS / MAX_CHUNK);
  });

  it('GET /ingest/partner/:partner_id streams the matching subset in order, in bounded chunks', async () => {
    const chunks = recordChunks();
    const expected = rows.filter((row) => row.partner_id === 'minor');

    const response = await get(context.app, '/ingest/partner/minor');

    expect(response.statusCode).toBe(200);
    expect(
      sameOrder(
        response.json<Receipt[]>().map((record) => record.id),
        expected.map((row) => row.id),
      ),
    ).toEqual({ length: expected.length, firstDifference: -1 });
    expect(chunks.reduce((sum, size) => sum + size, 0)).toBe(expected.length);
    expect(Math.max(...chunks)).toBeLessThanOrEqual(MAX_CHUNK);
  });

  it('NDJSON: one line per record, all 50,000, in order', async () => {
    const response = await get(context.app, '/ingest/all', { accept: 'application/x-ndjson' });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(NDJSON_CONTENT_TYPE);
    const lines = response.body.split('\n');
    expect(lines).toHaveLength(ROWS + 1);
    expect(lines[ROWS]).toBe('');
    expect(
      sameOrder(
        lines.slice(0, ROWS).map((line) => (JSON.parse(line) as Receipt).id),
        rows.map((row) => row.id),
      ),
    ).toEqual({ length: ROWS, firstDifference: -1 });
  });

  it('reads the database only as fast as the client consumes the response (backpressure)', async () => {
    const chunks = recordChunks();

    const response = await context.app.inject({
      method: 'GET',
      url: '/ingest/all',
      headers: { accept: 'application/x-ndjson' },
      payloadAsStream: true,
    });
    expect(response.statusCode).toBe(200);
    const stream: Readable = response.stream();

    // The client reads nothing yet: once the pipeline's buffers are full the server must stop
    // reading rows. Wait until the number of chunks read stops changing, then look.
    let stableFor = 0;
    let last = -1;
    await waitFor(() => {
      stableFor = chunks.length === last ? stableFor + 1 : 0;
      last = chunks.length;
      return stableFor >= 10;
    }, 'the server to stop reading while the client does not');
    const readBeforeConsuming = chunks.length;
    expect(readBeforeConsuming).toBeLessThanOrEqual(5);

    // Now consume without keeping the body: count lines and check their order as they arrive.
    let lines = 0;
    let pending = '';
    let inOrder = true;
    let maxChunksAhead = 0;
    for await (const data of stream as AsyncIterable<Buffer>) {
      const text = pending + data.toString('utf8');
      const parts = text.split('\n');
      pending = parts.pop()!;
      for (const line of parts) {
        if ((JSON.parse(line) as Receipt).id !== rows[lines].id) inOrder = false;
        lines++;
      }
      maxChunksAhead = Math.max(maxChunksAhead, chunks.length - Math.floor(lines / MAX_CHUNK));
    }

    expect(pending).toBe('');
    expect(lines).toBe(ROWS);
    expect(inOrder).toBe(true);
    expect(chunks.reduce((sum, size) => sum + size, 0)).toBe(ROWS);
    // At no point did the server hold more than a few chunks beyond what the client had read.
    expect(maxChunksAhead).toBeLessThanOrEqual(5);
  });

  it('a slow reader holds up neither ingestion nor other reads', async () => {
    const response = await context.app.inject({ method: 'GET', url: '/ingest/all', payloadAsStream: true });
    const stream: Readable = response.stream();
    stream.on('error', () => undefined);
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    stream.pause();

    const created = await context.app.inject({
      method: 'POST',
      url: '/ingest',
      payload: { partner_id: 'while-streaming', payload: { n: 1 } },
    });
    expect(created.statusCode).toBe(201);
    expect((await get(context.app, '/ingest/partner/while-streaming')).json()).toEqual([created.json()]);
    expect((await get(context.app, '/ingest/all?limit=1')).json()).toEqual([
      { id: rows[0].id, partner_id: rows[0].partner_id, timestamp: rows[0].timestamp },
    ]);

    stream.destroy();
  });
});

describe('streamed lists of heavy payloads', () => {
  const context = useTestApp();
  const PAYLOAD_BYTES = 200_000;
  let rows: SeedRow[];

  beforeAll(async () => {
    rows = seedRows(30, 'heavy', new Date('2026-01-01T00:00:00.000Z')).map((row, index) => ({
      ...row,
      payload: JSON.stringify({ n: index, blob: 'x'.repeat(PAYLOAD_BYTES) }),
    }));
    await insertRows(context.database, rows);
  });

  it('keeps each chunk near 1 MB of rows whatever its payloads weigh, and still answers every record whole', async () => {
    const readModel = context.app.get(RecordReadModel);
    const original = readModel.streamChunks.bind(readModel);
    const chunkBytes: number[] = [];
    jest.spyOn(readModel, 'streamChunks').mockImplementation(async (filter) => {
      const source = await original(filter);
      return (async function* (): AsyncGenerator<DataListItem[]> {
        for await (const chunk of source) {
          chunkBytes.push(chunk.reduce((sum, row) => sum + (row.payloadJson?.length ?? 0), 0));
          yield chunk;
        }
      })();
    });

    const response = await get(context.app, '/ingest/partner/heavy?include=payload');

    expect(response.statusCode).toBe(200);
    const body = response.json<Array<Receipt & { payload: { n: number; blob: string } }>>();
    expect(body.map((record) => record.id)).toEqual(rows.map((row) => row.id));
    expect(
      body.every((record, index) => record.payload.n === index && record.payload.blob.length === PAYLOAD_BYTES),
    ).toBe(true);
    // 1,000 rows of 200 KB would make one chunk of 200 MB.
    expect(Math.max(...chunkBytes)).toBeLessThanOrEqual(1_100_000);
    jest.restoreAllMocks();
  });
});
