import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { get, ingestOk, ingestRaw, nextLink, Receipt } from './support/http';
import { countRows } from './support/database';
import { createTestApp, createTestDatabase, TestDatabase } from './support/test-app';

describe('persistence across a restart', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    await database.remove();
  });

  it('serves the records of a previous app on the same file, byte for byte', async () => {
    app = await createTestApp(database);
    const payloadText = '{"z":1,"a":{"__proto__":{"x":"😀"},"constructor":null},"n":1e300}';
    const created = await ingestRaw(app, `{"partner_id":"acme","payload":${payloadText}}`);
    expect(created.statusCode).toBe(201);
    const first = created.json<Receipt>();
    const second = await ingestOk(app, 'globex', { second: true });
    const before = (await get(app, `/ingest/${first.id}`)).body;
    await app.close();

    app = await createTestApp(database);

    const after = await get(app, `/ingest/${first.id}`);
    expect(after.statusCode).toBe(200);
    expect(after.body).toBe(before);
    expect(after.json()).toEqual(expect.objectContaining(first));
    expect((await get(app, `/ingest/${second.id}`)).json()).toEqual({ ...second, payload: { second: true } });
    expect((await get(app, '/ingest/all')).json()).toEqual([first, second]);
    expect((await get(app, '/ingest/partner/globex')).json()).toEqual([second]);
  });

  it('keeps ingestion order and cursors valid across the restart', async () => {
    app = await createTestApp(database);
    const previous = (await get(app, '/ingest/all')).json<Receipt[]>();
    expect(previous.length).toBeGreaterThan(0);
    const added = await ingestOk(app, 'acme', { after: 'restart' });

    const all = (await get(app, '/ingest/all')).json<Receipt[]>();
    expect(all).toEqual([...previous, added]);
    expect((await get(app, `/ingest/all?after=${previous[previous.length - 1].id}`)).json()).toEqual([added]);
    expect(added.id > previous[previous.length - 1].id).toBe(true);

    const firstPage = await get(app, '/ingest/all?limit=1');
    expect(nextLink(firstPage)).toBe(`/ingest/all?limit=1&after=${previous[0].id}`);
  });

  it('runs the migrations once: a third start on the same file changes nothing', async () => {
    const rowsBefore = await countRows(database);
    app = await createTestApp(database);
    await app.close();
    app = await createTestApp(database);

    expect(await countRows(database)).toBe(rowsBefore);
    expect((await get(app, '/ingest/all')).json<Receipt[]>()).toHaveLength(rowsBefore);
    expect((await get(app, '/health/ready')).statusCode).toBe(200);
  });
});
