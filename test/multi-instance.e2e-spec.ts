import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { countRows, TEST_DATABASE_KIND } from './support/database';
import { get, ingest, InjectResponse, nextLink, Receipt } from './support/http';
import { createTestApp, createTestDatabase, TestDatabase } from './support/test-app';

const INGESTS = 500;
/** Every KEYED-th ingest carries an Idempotency-Key, and is retried on the other instance. */
const KEYED = 5;
const WAVE = 25;

/**
 * Several instances behind one gateway, on one database: two apps (two pools, two
 * migrators, two event buses) on one fresh database, started together.
 */
describe(`two instances on one ${TEST_DATABASE_KIND} database`, () => {
  let database: TestDatabase;
  let instances: NestFastifyApplication[];
  /** Receipts of the first answer to every ingest, by the instance that answered it. */
  const issued: Array<{ instance: number; receipt: Receipt }> = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    if (TEST_DATABASE_KIND === 'postgres') {
      // Started together on an empty database: both migrate, under the migration lock.
      instances = await Promise.all([createTestApp(database), createTestApp(database)]);
    } else {
      // better-sqlite3 waits for a lock synchronously, so two apps in one process cannot wait
      // for each other; test/migrations.e2e-spec.ts races separate processes on SQLite instead.
      instances = [await createTestApp(database), await createTestApp(database)];
    }
  });

  afterAll(async () => {
    await Promise.all((instances ?? []).map((app) => app.close()));
    await database.remove();
  });

  it(`takes ${INGESTS} ingests spread over both, idempotent retries going to the other instance`, async () => {
    const bodyOf = (n: number) => ({ partner_id: `partner-${n % 7}`, payload: { n, text: `record ${n}` } });
    const keyOf = (n: number) => `multi-${n}`;
    for (let start = 0; start < INGESTS; start += WAVE) {
      const wave = Array.from({ length: WAVE }, (_, offset) => start + offset);
      const answers = await Promise.all(
        wave.map((n) => ingest(instances[n % 2], bodyOf(n), n % KEYED === 0 ? { 'idempotency-key': keyOf(n) } : {})),
      );
      answers.forEach((answer, index) => {
        expect(answer.statusCode).toBe(201);
        issued.push({ instance: wave[index] % 2, receipt: answer.json<Receipt>() });
      });
      // The retries, each on the instance that did not take the first request.
      const keyed = wave.filter((n) => n % KEYED === 0);
      const retries = await Promise.all(
        keyed.map((n) => ingest(instances[(n + 1) % 2], bodyOf(n), { 'idempotency-key': keyOf(n) })),
      );
      retries.forEach((retry, index) => {
        const first = answers[wave.indexOf(keyed[index])];
        expect({ status: retry.statusCode, body: retry.body }).toEqual({ status: 201, body: first.body });
        expect(retry.headers['idempotent-replayed']).toBe('true');
      });
    }

    expect(issued).toHaveLength(INGESTS);
    expect(await countRows(database)).toBe(INGESTS);
  });

  it('resolves one key sent to both instances at once to one record', async () => {
    const body = { partner_id: 'racer', payload: { same: true } };
    const answers: InjectResponse[] = await Promise.all(
      Array.from({ length: 10 }, (_, n) => ingest(instances[n % 2], body, { 'idempotency-key': 'raced-key' })),
    );
    for (const answer of answers) {
      expect([201, 409]).toContain(answer.statusCode);
    }
    const created = answers.filter((answer) => answer.statusCode === 201);
    expect(new Set(created.map((answer) => answer.body)).size).toBe(1);
    expect(created.filter((answer) => answer.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
    const [winner] = created;
    issued.push({ instance: answers.indexOf(winner) % 2, receipt: winner.json<Receipt>() });
    expect((await get(instances[0], '/ingest/partner/racer')).json()).toEqual([winner.json()]);
  });

  it('lists the same records, once each, from both instances', async () => {
    const lists = await Promise.all(instances.map((app) => get(app, '/ingest/all')));
    expect(lists.map((list) => list.statusCode)).toEqual([200, 200]);
    expect(lists[1].body).toBe(lists[0].body);
    const listed = lists[0].json<Receipt[]>();
    const ids = listed.map((record) => record.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(issued.map(({ receipt }) => receipt.id).sort());
    expect(listed).toEqual(expect.arrayContaining(issued.map(({ receipt }) => receipt)));
  });

  // Across instances the lists follow the event log's commit order (test/event-log.postgres.e2e-spec.ts).
  it("keeps each instance's ids in ingestion order in the lists", async () => {
    const listed = (await get(instances[1], '/ingest/all')).json<Receipt[]>().map((record) => record.id);
    for (const instance of [0, 1]) {
      const own = new Set(issued.filter((entry) => entry.instance === instance).map(({ receipt }) => receipt.id));
      const inListOrder = listed.filter((id) => own.has(id));
      expect(inListOrder).toHaveLength(own.size);
      expect(inListOrder).toEqual([...inListOrder].sort());
    }
  });

  it('reads every record by id from both instances', async () => {
    for (const { receipt } of issued) {
      const [fromA, fromB] = await Promise.all(instances.map((app) => get(app, `/ingest/${receipt.id}`)));
      expect(fromA.statusCode).toBe(200);
      expect(fromB.body).toBe(fromA.body);
      expect(fromA.json()).toEqual(expect.objectContaining(receipt));
    }
  });

  it('pages through everything with the cursor, alternating instances, with no gap and no repeat', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/ingest/all?limit=37';
    for (let page = 0; url !== undefined; page++) {
      const response = await get(instances[page % 2], url);
      expect(response.statusCode).toBe(200);
      seen.push(...response.json<Receipt[]>().map((record) => record.id));
      url = nextLink(response);
    }
    expect(seen).toEqual((await get(instances[0], '/ingest/all')).json<Receipt[]>().map((record) => record.id));
  });
});
