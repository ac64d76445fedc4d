import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'nats';
import { TEST_DATABASE_KIND } from './support/database';
import { ingest, logOrder, Receipt } from './support/http';
import { startNatsServer, TestNatsServer, waitForStreamMessages } from './support/nats';
import { createTestApp, createTestDatabase, TestDatabase } from './support/test-app';

jest.setTimeout(90_000);

const ROOT = join(__dirname, '..');
const EXAMPLE = join(ROOT, 'examples', 'consume-events.mjs');
const STREAM = 'INGESTION';
const CONSUMER_RUN_TIMEOUT_MS = 20_000;

describe('README: "Consuming events"', () => {
  it('shows examples/consume-events.mjs verbatim, so that what readers copy is what this spec runs', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const jsBlocks = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((block) => block[1]);
    expect(jsBlocks).toContain(readFileSync(EXAMPLE, 'utf8'));
  });
});

interface ConsumerRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
  stderr: string;
}

/**
 * Runs the example until it exits by itself, or, with `stopAfterLines`, until it printed that many lines
 * and then SIGTERM; killed past a deadline, so that a consumer that hangs fails the spec instead of the run.
 */
function runConsumer(env: Record<string, string>, stopAfterLines?: number): Promise<ConsumerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [EXAMPLE], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    const lines = () => stdout.split('\n').filter((line) => line !== '');
    const deadline = setTimeout(() => child.kill('SIGKILL'), CONSUMER_RUN_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stopAfterLines !== undefined && lines().length >= stopAfterLines) child.kill('SIGTERM');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(deadline);
      resolve({ code, signal, lines: lines(), stderr });
    });
  });
}

const lineOf = (record: Receipt) => `${record.id} ${record.partner_id} ${record.timestamp}`;

// One database is enough: the example reads the stream, which is the same whichever database fed it.
if (TEST_DATABASE_KIND === 'sqlite') {
  describe('examples/consume-events.mjs against the service and a nats-server of its own', () => {
    let server: TestNatsServer;
    let database: TestDatabase;
    let app: NestFastifyApplication;

    beforeAll(async () => {
      server = await startNatsServer();
      database = await createTestDatabase();
      app = await createTestApp(database, { env: { NATS_URL: server.url, EVENT_RELAY_POLL_INTERVAL_MS: '100' } });
    });

    afterAll(async () => {
      await app?.close();
      await database?.remove();
      await server?.remove();
    });

    const ingestSingles = async (count: number, offset: number): Promise<void> => {
      const answers = await Promise.all(
        Array.from({ length: count }, (_, n) =>
          ingest(
            app,
            { partner_id: `partner-${(offset + n) % 3}`, payload: { n: offset + n } },
            { 'idempotency-key': `record-${offset + n}` },
          ),
        ),
      );
      for (const answer of answers) expect(answer.statusCode).toBe(201);
    };

    it('prints each record once, in log order, and a restart resumes after the last ack', async () => {
      await ingestSingles(30, 0);
      // A client's retry: replayed, no second record, so no second message.
      const retry = await ingest(
        app,
        { partner_id: 'partner-0', payload: { n: 0 } },
        { 'idempotency-key': 'record-0' },
      );
      expect(retry.headers['idempotent-replayed']).toBe('true');
      await waitForStreamMessages(server.url, STREAM, 30, 15_000);

      const first = await runConsumer({ NATS_URL: server.url, MAX_MESSAGES: '30' });
      expect(first).toMatchObject({ code: 0, stderr: '' });
      const log = await logOrder(app);
      expect(log).toHaveLength(30);
      expect(first.lines).toEqual(log.map(lineOf));

      await ingestSingles(5, 30);
      await waitForStreamMessages(server.url, STREAM, 35, 15_000);
      const second = await runConsumer({ NATS_URL: server.url, MAX_MESSAGES: '5' });
      expect(second).toMatchObject({ code: 0, stderr: '' });
      expect(second.lines).toEqual((await logOrder(app)).slice(30).map(lineOf));

      const connection = await connect({ servers: server.url });
      try {
        const consumer = await (await connection.jetstreamManager()).consumers.info(STREAM, 'billing');
        expect(consumer).toMatchObject({ num_pending: 0, num_ack_pending: 0, num_redelivered: 0 });
      } finally {
        await connection.close();
      }
    });

    it("with PARTNER_ID, reads that partner's records only, and stops cleanly on SIGTERM", async () => {
      const partner = (await logOrder(app)).filter((record) => record.partner_id === 'partner-1');
      expect(partner.length).toBeGreaterThan(0);

      const run = await runConsumer(
        { NATS_URL: server.url, CONSUMER_NAME: 'partner-1-audit', PARTNER_ID: 'partner-1' },
        partner.length,
      );

      expect(run).toMatchObject({ code: 0, signal: null, stderr: '' });
      expect(run.lines).toEqual(partner.map(lineOf));
    });
  });
}
