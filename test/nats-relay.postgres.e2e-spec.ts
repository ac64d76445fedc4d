import { parseMetrics, sampleSum } from './support/metrics';
import { readStream, startNatsServer, TestNatsServer, waitForStreamMessages } from './support/nats';
import { freePort, ServiceProcess, startService, waitUntilReady } from './support/service-process';
import { createTestDatabase, TestDatabase } from './support/test-app';

jest.setTimeout(120_000);

/** Default relay settings: the takeover must fit in the contract's seconds as the service ships. */
const STREAM = 'INGESTION';

async function relaying(service: ServiceProcess): Promise<boolean> {
  const response = await fetch(`${service.url}/metrics`);
  return sampleSum(parseMetrics(await response.text()), 'event_relay_active') === 1;
}

async function ingestOn(service: ServiceProcess, partner: string, n: number): Promise<boolean> {
  try {
    const response = await fetch(`${service.url}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ partner_id: partner, payload: { n } }),
    });
    return response.status === 201;
  } catch {
    return false;
  }
}

describe('two service processes on one PostgreSQL, delivering to NATS', () => {
  let broker: TestNatsServer;
  let database: TestDatabase;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    broker = await startNatsServer();
    database = await createTestDatabase('postgres');
    for (let n = 0; n < 2; n++) {
      const port = await freePort();
      const service = startService({ DATABASE_URL: database.url, PORT: String(port), NATS_URL: broker.url });
      await waitUntilReady(service);
      services.push(service);
    }
  });

  afterAll(async () => {
    for (const service of services) service.child.kill('SIGKILL');
    await Promise.all(services.map((service) => service.exited));
    await database?.remove();
    await broker?.remove();
  });

  it('relays from one at a time; when the relaying one is killed, the other takes over within 5 s; each record once', async () => {
    let writing = true;
    const writers = Array.from({ length: 8 }, async (_, writer) => {
      for (let n = 0; writing; n++) {
        const target = services.filter((service) => service.child.exitCode === null && !service.child.killed);
        await ingestOn(target[(writer + n) % target.length], `w${writer}`, n);
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const active = await Promise.all(services.map(relaying));
    expect(active.filter(Boolean)).toHaveLength(1);
    const leader = services[active.indexOf(true)];
    const survivor = services[active.indexOf(false)];

    leader.child.kill('SIGKILL');
    const killedAt = Date.now();
    await leader.exited;
    while (!(await relaying(survivor))) {
      expect(Date.now() - killedAt).toBeLessThan(5_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const tookOverMs = Date.now() - killedAt;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    writing = false;
    await Promise.all(writers);

    const ids = (await database.query<{ id: string }>('SELECT "id" FROM "ingested_data" ORDER BY "position"')).map(
      (row) => row.id,
    );
    expect(ids.length).toBeGreaterThan(100);
    await waitForStreamMessages(broker.url, STREAM, ids.length, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const messages = await readStream(broker.url, STREAM);
    expect(messages.map((message) => message.msgId)).toEqual(ids);
    expect(tookOverMs).toBeLessThan(5_000);
  });
});
