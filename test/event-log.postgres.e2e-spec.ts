import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { countRows } from './support/database';
import { PublishedEvents, recordPublished } from './support/events';
import { get, ingest, ingestOk, Receipt, settle, waitFor } from './support/http';
import { metricValue } from './support/metrics';
import { createTestApp, createTestDatabase, TestDatabase } from './support/test-app';

jest.setTimeout(120_000);

const RELAY = { EVENT_RELAY_POLL_INTERVAL_MS: '100', EVENT_RELAY_LEASE_MS: '1000' };

/** Two instances (two pools, two relays) on one PostgreSQL database, each with its deliveries recorded from the start. */
async function startInstances(
  database: TestDatabase,
): Promise<{ apps: NestFastifyApplication[]; delivered: PublishedEvents[] }> {
  const delivered: PublishedEvents[] = [];
  const apps: NestFastifyApplication[] = [];
  for (let n = 0; n < 2; n++) {
    apps.push(
      await createTestApp(database, { env: RELAY, beforeConfigure: (app) => delivered.push(recordPublished(app)) }),
    );
  }
  return { apps, delivered };
}

/** What a partner tailing the feed does: page to the end with `after`, then keep polling from the last id. */
class Tailer {
  readonly seen: string[] = [];
  private cursor?: string;

  constructor(private readonly app: NestFastifyApplication) {}

  async poll(): Promise<void> {
    for (;;) {
      const query = this.cursor === undefined ? '' : `&after=${this.cursor}`;
      const page = (await get(this.app, `/ingest/all?limit=200${query}`)).json<Receipt[]>();
      if (page.length === 0) return;
      this.seen.push(...page.map((record) => record.id));
      this.cursor = page[page.length - 1].id;
    }
  }
}

describe('the event log across instances on one PostgreSQL', () => {
  let database: TestDatabase;
  let apps: NestFastifyApplication[] = [];
  let delivered: PublishedEvents[] = [];

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
    ({ apps, delivered } = await startInstances(database));
  });

  afterEach(async () => {
    for (const recorder of delivered) recorder.subscription.unsubscribe();
    await Promise.all(apps.map((app) => app.close()));
    await database.remove();
  });

  const relaying = async () =>
    (await Promise.all(apps.map((app) => metricValue(app, 'event_relay_active')))).map((value) => value === 1);

  it('relays from one instance at a time, and the other takes over when it stops', async () => {
    await waitFor(async () => (await relaying()).filter(Boolean).length === 1, 'one relaying instance');
    await settle(20);
    expect((await relaying()).filter(Boolean)).toHaveLength(1);

    const receipts = await Promise.all(Array.from({ length: 40 }, (_, n) => ingestOk(apps[n % 2], 'both', { n })));
    const leader = (await relaying()).indexOf(true);
    await waitFor(() => delivered[leader].events.length >= 40, 'the deliveries of the relaying instance');
    expect(delivered[1 - leader].events).toEqual([]);

    await apps[leader].close();
    apps = apps.filter((_, index) => index !== leader);
    const follower = 1 - leader;
    const more = await Promise.all(Array.from({ length: 10 }, (_, n) => ingestOk(apps[0], 'after', { n })));
    await waitFor(() => delivered[follower].events.length >= 10, 'the other instance taking over', 5_000);
    const ids = [...delivered[leader].events, ...delivered[follower].events].map((event) => event.id);
    expect(ids.sort()).toEqual([...receipts, ...more].map((receipt) => receipt.id).sort());
  });

  it('lets a reader polling with after see every record exactly once while 16 writers use both instances', async () => {
    const tailer = new Tailer(apps[0]);
    let writing = true;
    const reading = (async () => {
      while (writing) {
        await tailer.poll();
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const written: string[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async (_, writer) => {
        for (let n = 0; n < 60; n++) {
          const app = apps[(writer + n) % 2];
          const answer =
            n % 10 === 9
              ? await ingest(
                  app,
                  { partner_id: `w-${writer}`, payload: { n } },
                  { 'idempotency-key': `k-${writer}-${n}` },
                )
              : await ingest(app, { partner_id: `w-${writer}`, payload: { n } });
          expect(answer.statusCode).toBe(201);
          written.push(answer.json<Receipt>().id);
        }
      }),
    );
    writing = false;
    await reading;
    await tailer.poll();

    expect(new Set(tailer.seen).size).toBe(tailer.seen.length);
    expect(tailer.seen.length).toBe(await countRows(database));
    expect([...tailer.seen].sort()).toEqual([...written].sort());
    const leader = (await relaying()).indexOf(true);
    await waitFor(() => delivered[leader].events.length >= written.length, 'every delivery', 10_000);
    expect(delivered[leader].events.map((event) => event.id)).toEqual(tailer.seen);
  });

  it('orders a transaction held open after the later ids that committed before it, and no reader skips it', async () => {
    // Holds the claim of an idempotent ingest: its record's id is taken before, its commit comes after.
    await database.execute(`
      CREATE FUNCTION hold_claim() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW."key" LIKE 'hold-%' THEN PERFORM pg_sleep(1.5); END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER hold_claim BEFORE INSERT ON "idempotency_keys" FOR EACH ROW EXECUTE FUNCTION hold_claim();
    `);
    const tailer = new Tailer(apps[1]);
    await tailer.poll();

    const holding = ingest(apps[0], { partner_id: 'held', payload: { held: true } }, { 'idempotency-key': 'hold-1' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const later: Receipt[] = [];
    for (let n = 0; n < 5; n++) later.push(await ingestOk(apps[1], 'later', { n }));
    await tailer.poll();
    expect(tailer.seen).toEqual(later.map((receipt) => receipt.id));

    const held = (await holding).json<Receipt>();
    expect(later.every((receipt) => receipt.id > held.id)).toBe(true);
    await tailer.poll();
    expect(tailer.seen).toEqual([...later.map((receipt) => receipt.id), held.id]);

    const leader = (await relaying()).indexOf(true);
    await waitFor(() => delivered[leader].events.length >= 6, 'the six deliveries');
    expect(delivered[leader].events.map((event) => event.id)).toEqual(tailer.seen);
  });
});
