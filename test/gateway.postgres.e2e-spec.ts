import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Gateway, renderTemplate, startHaproxy, startNginx } from './support/gateways';
import { freePort, ServiceProcess, startService, waitUntilReady } from './support/service-process';
import { createTestDatabase, TestDatabase } from './support/test-app';

jest.setTimeout(180_000);

const PREFIX = '/api/ingestion';
/** Statuses a client retries with the same Idempotency-Key, after Retry-After. */
const RETRYABLE = [409, 502, 503, 504];
const MAX_ATTEMPTS = 10;
/**
 * Clients sending back to back, per gateway and mount: 24 requests in flight at most. With a third of that, nginx's
 * connections were seldom idle at the moment an instance stopped accepting, and a shutdown that dropped them passed.
 */
const CLIENTS_PER_MOUNT = 6;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Instance {
  service!: ServiceProcess;

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.service = startService({ ...this.env, PORT: String(this.port) });
    await waitUntilReady(this.service);
  }

  /** SIGTERM, then started again once it has exited, as an orchestrator replaces a container. */
  async restart(): Promise<{ exitCode: number | null; drainMs: number }> {
    const signalledAt = Date.now();
    this.service.child.kill('SIGTERM');
    const exitCode = await this.service.exited;
    const drainMs = Date.now() - signalledAt;
    await this.start();
    return { exitCode, drainMs };
  }

  async stop(): Promise<void> {
    if (this.service?.child.exitCode === null) {
      this.service.child.kill('SIGTERM');
      await this.service.exited;
    }
  }
}

interface ClientReport {
  requests: number;
  attempts: number;
  replayed: number;
  retriedOn: Record<string, number>;
  acknowledged: Map<string, string>;
  failures: string[];
}

function newReport(): ClientReport {
  return { requests: 0, attempts: 0, replayed: 0, retriedOn: {}, acknowledged: new Map(), failures: [] };
}

/** One POST /ingest with its own key, sent again on a retryable status as a client would; never thrown. */
async function ingestOnce(url: string, mount: string, report: ClientReport): Promise<void> {
  const key = randomUUID();
  const body = JSON.stringify({ partner_id: 'gateway-load', payload: { key } });
  report.requests++;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    report.attempts++;
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${url}${mount}/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      text = await response.text();
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      report.failures.push(`${mount}/ingest: ${cause?.code ?? String(error)}`);
      return;
    }
    if (response.status === 201) {
      const { id } = JSON.parse(text) as { id: string };
      if (response.headers.get('location') !== `${mount}/ingest/${id}`)
        report.failures.push(`${mount}/ingest: Location ${response.headers.get('location')}`);
      if (response.headers.get('idempotent-replayed') === 'true') report.replayed++;
      report.acknowledged.set(key, id);
      return;
    }
    if (!RETRYABLE.includes(response.status)) {
      report.failures.push(`${mount}/ingest: ${response.status} ${text}`);
      return;
    }
    report.retriedOn[response.status] = (report.retriedOn[response.status] ?? 0) + 1;
    await sleep(Math.min(1000, Number(response.headers.get('retry-after') ?? 0) * 1000) || 100);
  }
  report.failures.push(`${mount}/ingest: no answer but retryable ones in ${MAX_ATTEMPTS} attempts`);
}

function startLoad(gateway: Gateway, report: ClientReport): { stop(): Promise<void> } {
  let running = true;
  const clients = ['', PREFIX].flatMap((mount) =>
    Array.from({ length: CLIENTS_PER_MOUNT }, async () => {
      while (running) {
        await ingestOnce(gateway.url, mount, report);
      }
    }),
  );
  return {
    stop: async () => {
      running = false;
      await Promise.all(clients);
    },
  };
}

async function problemThrough(url: string, init?: RequestInit): Promise<{ response: Response; body: unknown }> {
  const response = await fetch(url, init);
  return { response, body: JSON.parse(await response.text()) as unknown };
}

describe('behind nginx and HAProxy with the configs of deploy/: two instances on one PostgreSQL', () => {
  let database: TestDatabase;
  let instances: [Instance, Instance];
  let gateways: Gateway[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const env = {
      DATABASE_URL: database.url,
      TRUST_PROXY: '127.0.0.1',
      DATABASE_POOL_SIZE: '5',
      SHUTDOWN_DELAY_MS: '1000',
      SHUTDOWN_TIMEOUT_MS: '10000',
    };
    instances = [new Instance(await freePort(), env), new Instance(await freePort(), env)];
    await Promise.all(instances.map((instance) => instance.start()));
    const addresses: [string, string] = [instances[0].address, instances[1].address];
    gateways = [await startNginx(addresses), await startHaproxy(addresses)];
  });

  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
    await Promise.all(instances?.map((instance) => instance.stop()) ?? []);
    await database?.remove();
  });

  it.each(['nginx', 'haproxy'])(
    '%s: links under the prefix, an X-Request-Id when the client sent none, no /metrics or /docs',
    async (name) => {
      const gateway = gateways.find((candidate) => candidate.name === name)!;
      const created = await fetch(`${gateway.url}${PREFIX}/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ partner_id: `links-${name}`, payload: { n: 1 } }),
      });
      expect(created.status).toBe(201);
      const location = created.headers.get('location')!;
      expect(location).toMatch(new RegExp(`^${PREFIX}/ingest/[0-9a-f-]{36}$`));
      // nginx's $request_id is 32 hex digits, which the service never generates (its ids are UUIDs).
      const generated = name === 'nginx' ? /^[0-9a-f]{32}$/ : /^[0-9a-f-]{36}$/;
      expect(created.headers.get('x-request-id')).toMatch(generated);
      expect((await fetch(`${gateway.url}${location}`)).status).toBe(200);

      const rooted = await fetch(`${gateway.url}/ingest`, {
        method: 'POST',
        // The gateway, which the instances trust, replaces a client's own prefix with its own (none at the root).
        headers: {
          'content-type': 'application/json',
          'x-request-id': `rooted-${name}`,
          'x-forwarded-prefix': '/evil',
        },
        body: JSON.stringify({ partner_id: `links-${name}`, payload: { n: 2 } }),
      });
      expect(rooted.headers.get('location')).toMatch(/^\/ingest\/[0-9a-f-]{36}$/);
      expect(rooted.headers.get('x-request-id')).toBe(`rooted-${name}`);

      const page = await fetch(`${gateway.url}${PREFIX}/ingest/partner/links-${name}?limit=1`);
      expect(page.headers.get('link')).toMatch(new RegExp(`^<${PREFIX}/ingest/partner/links-${name}\\?limit=1&after=`));

      for (const path of ['/metrics', '/docs', '/docs/json', `${PREFIX}/metrics`, `${PREFIX}/docs/json`]) {
        const { response, body } = await problemThrough(`${gateway.url}${path}`);
        expect({ path, status: response.status }).toEqual({ path, status: 404 });
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(response.headers.get('x-request-id')).toBeTruthy();
        expect(body).toMatchObject({ status: 404 });
      }
    },
  );

  it.each(['nginx', 'haproxy'])(
    '%s: with no instance answering, a problem+json with Retry-After and the X-Request-Id',
    async (name) => {
      const nowhere: [string, string] = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
      const gateway = name === 'nginx' ? await startNginx(nowhere) : await startHaproxy(nowhere);
      try {
        const { response, body } = await problemThrough(`${gateway.url}${PREFIX}/ingest`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': `nowhere-${name}` },
          body: JSON.stringify({ partner_id: 'acme', payload: {} }),
        });
        expect([502, 503]).toContain(response.status);
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(response.headers.get('retry-after')).toBe('1');
        expect(response.headers.get('x-request-id')).toBe(`nowhere-${name}`);
        expect(body).toMatchObject({ status: response.status, type: expect.any(String), title: expect.any(String) });
      } finally {
        await gateway.stop();
      }
    },
  );

  it('a rolling restart of both instances under idempotent POSTs: no client request fails, every acknowledged record is stored once', async () => {
    const reports = new Map(gateways.map((gateway) => [gateway.name, newReport()]));
    const loads = gateways.map((gateway) => startLoad(gateway, reports.get(gateway.name)!));
    const startedAt = Date.now();
    await sleep(1500);
    // As an orchestrator does it: the second instance is replaced as soon as the first is ready again.
    const restarts = [];
    for (const instance of instances) restarts.push(await instance.restart());
    await sleep(1500);
    await Promise.all(loads.map((load) => load.stop()));
    const durationMs = Date.now() - startedAt;

    const figures = [...reports].map(([name, report]) => ({
      gateway: name,
      requests: report.requests,
      acknowledged: report.acknowledged.size,
      retries: report.attempts - report.requests,
      retriedOn: report.retriedOn,
      replayed: report.replayed,
      failed: report.failures.length,
    }));
    console.log(JSON.stringify({ durationMs, restarts, figures }, null, 2));

    expect(restarts.map((restart) => restart.exitCode)).toEqual([0, 0]);
    // A refused connection is a restarting instance, and nginx moves on; anything else means a request that an
    // instance dropped after nginx had sent it.
    const upstreamErrors = gateways
      .find((gateway) => gateway.name === 'nginx')!
      .output()
      .split('\n')
      .filter((line) => /\[(error|crit|alert)\]/.test(line) && !line.includes('(111: Connection refused)'));
    expect(upstreamErrors).toEqual([]);
    for (const [name, report] of reports) {
      expect({ gateway: name, failures: report.failures }).toEqual({ gateway: name, failures: [] });
      expect(report.acknowledged.size).toBeGreaterThan(100);
    }
    const rows = await database.query<{ id: string; payload: string }>(
      `SELECT "id", "payload" FROM "ingested_data" WHERE "partner_id" = 'gateway-load'`,
    );
    const stored = new Map<string, string[]>();
    for (const row of rows) {
      const { key } = JSON.parse(row.payload) as { key: string };
      stored.set(key, [...(stored.get(key) ?? []), row.id]);
    }
    const acknowledged = new Map([...reports.values()].flatMap((report) => [...report.acknowledged]));
    const notOnce = [...acknowledged].filter(([key, id]) => stored.get(key)?.join() !== id);
    expect(notOnce).toEqual([]);
    expect(rows).toHaveLength(acknowledged.size);
  });
});

interface ComposeService {
  environment?: Record<string, string>;
  volumes?: string[];
  networks?: Record<string, { ipv4_address?: string }>;
}

describe('deploy/docker-compose.yml (no Docker engine here: read, and its nginx config checked by nginx)', () => {
  const deploy = join(__dirname, '..', 'deploy');
  const compose = parse(readFileSync(join(deploy, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const { nginx, 'ingestion-a': a, 'ingestion-b': b } = compose.services;
  const addressOf = (service: ComposeService) => service.networks?.ingestion?.ipv4_address;

  it('two instances on PostgreSQL that trust nginx, and nothing else, for X-Forwarded-*', () => {
    for (const instance of [a, b]) {
      expect(instance.environment?.DATABASE_URL).toMatch(/^postgres:\/\//);
      expect(instance.environment?.TRUST_PROXY).toBe(addressOf(nginx));
    }
    expect(nginx.environment?.INGESTION_A).toBe(`${addressOf(a)}:5001`);
    expect(nginx.environment?.INGESTION_B).toBe(`${addressOf(b)}:5001`);
  });

  it("nginx renders deploy/nginx's template over the image's default server, and the result is valid", () => {
    const [source, target] = nginx.volumes![0].split(':');
    expect(target).toBe('/etc/nginx/templates/default.conf.template');
    const site = renderTemplate(readFileSync(join(deploy, source), 'utf8'), nginx.environment!);
    expect(site).not.toMatch(/\$\{/);
    const folder = mkdtempSync(join(tmpdir(), 'compose-nginx-'));
    try {
      writeFileSync(join(folder, 'default.conf'), site);
      writeFileSync(
        join(folder, 'nginx.conf'),
        `pid ${folder}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  include ${folder}/default.conf;\n}\n`,
      );
      expect(() =>
        execFileSync('nginx', ['-t', '-q', '-p', folder, '-c', join(folder, 'nginx.conf')], { stdio: 'pipe' }),
      ).not.toThrow();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
