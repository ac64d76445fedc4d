import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Receipt } from './support/http';
import { freePort, ServiceProcess, startService } from './support/service-process';
import { createTestDatabase, TestDatabase } from './support/test-app';

jest.setTimeout(60000);

/** What randomUUID() generates when a request comes without a usable X-Request-Id. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  context?: string;
  method?: string;
  route?: string;
  path?: string;
  status?: number;
  durationMs?: number;
  location?: string;
}

const unique = (): string => randomBytes(6).toString('hex');

/** The complete lines of `text` (a block of log output may end in the middle of one). */
function completeLines(text: string): string[] {
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean);
}

const isRequestLine = (line: LogLine): boolean => 'status' in line;

/**
 * The service as a process, with its stdout apart from stderr, and every request it was
 * sent remembered by the request id it answered with (X-Request-Id).
 */
class LoggingService {
  stdout = '';
  /** Request ids of the readiness polls that got an answer. */
  readonly readinessIds: string[] = [];
  /** Request ids of every other request sent. */
  readonly requestIds: string[] = [];

  private constructor(readonly service: ServiceProcess) {
    service.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
  }

  static async start(env: Record<string, string>, cwd: string): Promise<LoggingService> {
    // fetch keeps its connections open, and a draining service waits for them until one second before its deadline.
    const shutdown = { SHUTDOWN_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: '2000' };
    const started = new LoggingService(startService({ PORT: String(await freePort()), ...shutdown, ...env }, cwd));
    await started.waitUntilReady();
    return started;
  }

  /** As waitUntilReady of ./support/service-process, counting the polls that reached the server. */
  private async waitUntilReady(timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.service.child.exitCode !== null) throw new Error(`service exited early:\n${this.service.output()}`);
      const response = await fetch(`${this.service.url}/health/ready`).catch(() => undefined);
      if (response) {
        this.readinessIds.push(response.headers.get('x-request-id')!);
        if (response.status === 200) return;
      }
      if (Date.now() > deadline) throw new Error(`service not ready in ${timeoutMs} ms:\n${this.service.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async send(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(`${this.service.url}${path}`, init);
    this.requestIds.push(response.headers.get('x-request-id')!);
    return response;
  }

  /** Every complete stdout line, parsed (throws on a line that is not JSON). */
  jsonLines(): LogLine[] {
    return completeLines(this.stdout).map((line) => JSON.parse(line) as LogLine);
  }

  /** Waits until the log (written in blocks, at least every 250 ms) has lines that `found` accepts. */
  async waitForLines(found: (line: LogLine) => boolean, count = 1, timeoutMs = 10000): Promise<LogLine[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.jsonLines().filter(found);
      if (lines.length >= count) {
        // Give a duplicate line, were there one, the time to be written too.
        await new Promise((resolve) => setTimeout(resolve, 300));
        return this.jsonLines().filter(found);
      }
      if (Date.now() > deadline) throw new Error(`no such log line in ${timeoutMs} ms:\n${this.stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The request lines of one request id, once there is one. */
  requestLinesOf(reqId: string): Promise<LogLine[]> {
    return this.waitForLines((line) => isRequestLine(line) && line.reqId === reqId);
  }

  /** SIGTERM (which flushes the log); resolves to the exit code. */
  async stop(): Promise<number | null> {
    this.service.child.kill('SIGTERM');
    return this.service.exited;
  }

  async kill(): Promise<void> {
    if (this.service.child.exitCode === null && this.service.child.signalCode === null) {
      this.service.child.kill('SIGKILL');
      await this.service.exited;
    }
  }
}

/**
 * Runs one service per entry of `envs`, started together (a start takes seconds), each in a
 * working directory of its own (no .env: the defaults apply) on a fresh database of the kind
 * this Jest project tests.
 */
function useLoggingServices<Name extends string>(
  envs: Record<Name, Record<string, string>>,
): (name: Name) => LoggingService {
  const names = Object.keys(envs) as Name[];
  const databases: TestDatabase[] = [];
  const folders: string[] = [];
  const services = new Map<Name, LoggingService>();
  beforeAll(async () => {
    await Promise.all(
      names.map(async (name) => {
        const database = await createTestDatabase();
        databases.push(database);
        const cwd = mkdtempSync(join(tmpdir(), 'ingestion-logging-'));
        folders.push(cwd);
        const env = { DATABASE_URL: database.url, LOG_LEVEL: 'info', ...envs[name] };
        services.set(name, await LoggingService.start(env, cwd));
      }),
    );
  });
  afterAll(async () => {
    await Promise.all([...services.values()].map((service) => service.kill()));
    await Promise.all(databases.map((database) => database.remove()));
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });
  return (name) => services.get(name)!;
}

const services = useLoggingServices({
  // Empty counts as unset: whatever LOG_PRETTY the test runner has, the default applies.
  json: { LOG_PRETTY: '' },
  pretty: { LOG_PRETTY: '1' },
});

const json = { 'content-type': 'application/json' };

describe('request logs (JSON lines, LOG_PRETTY unset)', () => {
  const service = () => services('json');
  const secret = `4242-4242-secret-${unique()}`;
  const token = `token-secret-${unique()}`;
  const requestId = `log-test-${unique()}`;
  const secrets = [secret, token];
  let created: Receipt;

  /** No line of the output so far, stdout or stderr, holds any of the secrets sent. */
  const expectNoSecrets = () => {
    for (const sent of secrets) expect(service().service.output()).not.toContain(sent);
  };

  it('POST /ingest: one request line with the request id, route, path, status and duration', async () => {
    const response = await service().send('/ingest', {
      method: 'POST',
      headers: { ...json, 'x-request-id': requestId, authorization: `Bearer ${token}` },
      body: JSON.stringify({ partner_id: 'acme', payload: { card: secret } }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-request-id')).toBe(requestId);
    created = (await response.json()) as Receipt;

    const lines = await service().requestLinesOf(requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      reqId: requestId,
      method: 'POST',
      route: '/ingest',
      path: '/ingest',
      status: 201,
      msg: 'POST /ingest 201',
    });
    expect(typeof lines[0].durationMs).toBe('number');
    expect(lines[0].durationMs).toBeGreaterThanOrEqual(0);
    expectNoSecrets();
  });

  /** The DataIngested listener's line about the record created above. */
  const listenerLines = () =>
    service().waitForLines((line) => line.context === 'DataIngested' && line.msg.includes(`id=${created.id} `));

  it('the DataIngested listener logs the record through the same logger (a pino JSON line), not its payload', async () => {
    const lines = await listenerLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      context: 'DataIngested',
      msg: `data ingested id=${created.id} partner_id=acme timestamp=${created.timestamp}`,
    });
    expectNoSecrets();
  });

  it("the ingest's request line leads to the listener's line: its location names the record", async () => {
    const [requestLine] = await service().requestLinesOf(requestId);
    const [line] = await listenerLines();
    expect(requestLine.location).toBe(`/ingest/${created.id}`);
    expect(line.msg).toContain(`id=${created.id} `);
  });

  it('GET /ingest/:id: the route template, the path with the id, and not the payload it answered', async () => {
    const response = await service().send(`/ingest/${created.id}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain(secret); // the response has it; the log must not

    const lines = await service().requestLinesOf(response.headers.get('x-request-id')!);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      method: 'GET',
      route: '/ingest/:id',
      path: `/ingest/${created.id}`,
      status: 200,
      msg: 'GET /ingest/:id 200',
    });
    expect(lines[0].route).not.toContain(created.id);
    expectNoSecrets();
  });

  it('logs the path without its query string', async () => {
    const response = await service().send('/ingest/partner/acme?limit=1');
    expect(response.status).toBe(200);
    const [line] = await service().requestLinesOf(response.headers.get('x-request-id')!);
    expect(line).toMatchObject({ route: '/ingest/partner/:partner_id', path: '/ingest/partner/acme', status: 200 });
  });

  it('a request without X-Request-Id is logged under the id generated for it and answered in X-Request-Id', async () => {
    const response = await service().send('/health/live');
    expect(response.status).toBe(200);
    const generated = response.headers.get('x-request-id')!;
    expect(generated).toMatch(UUID);
    const lines = await service().requestLinesOf(generated);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, method: 'GET', route: '/health/live', status: 200 });
  });

  it('an X-Request-Id that is not acceptable is logged as the id that replaced it', async () => {
    const refused = `has space ${unique()}`;
    const response = await service().send('/health/live', { headers: { 'x-request-id': refused } });
    const generated = response.headers.get('x-request-id')!;
    expect(generated).toMatch(UUID);
    expect(await service().requestLinesOf(generated)).toHaveLength(1);
    expect(service().stdout).not.toContain(refused);
  });

  it('an unknown path: route (unmatched), status 404', async () => {
    const response = await service().send('/no/such/route');
    expect(response.status).toBe(404);
    const lines = await service().requestLinesOf(response.headers.get('x-request-id')!);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      method: 'GET',
      route: '(unmatched)',
      path: '/no/such/route',
      status: 404,
      msg: 'GET (unmatched) 404',
    });
  });

  it.each([
    ['invalid JSON', (hidden: string) => `{"partner_id":"acme","payload":{"card":${hidden}}}`],
    ['an invalid field', (hidden: string) => JSON.stringify({ partner_id: '-', payload: { card: hidden } })],
  ])('a bad request (%s): a 400 line at info, without the body', async (_case, body) => {
    // Short and unquoted where the JSON breaks: a JSON.parse message quotes the 10 characters
    // from there, so a log of the parser's message would show it whole. Upper case: in no id.
    const hidden = `S${randomBytes(4).toString('hex')}`;
    secrets.push(hidden);
    const response = await service().send('/ingest', { method: 'POST', headers: json, body: body(hidden) });
    expect(response.status).toBe(400);
    const lines = await service().requestLinesOf(response.headers.get('x-request-id')!);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      method: 'POST',
      route: '/ingest',
      path: '/ingest',
      status: 400,
      msg: 'POST /ingest 400',
    });
    expectNoSecrets();
  });

  it('after SIGTERM: every stdout line is JSON, one request line per request, no payload anywhere', async () => {
    expect(await service().stop()).toBe(0);
    expect(service().stdout.endsWith('\n')).toBe(true); // no partial line left out below
    const lines = service().jsonLines(); // throws on a line that is not JSON
    expect(lines.length).toBeGreaterThan(0);

    const requestLines = lines.filter(isRequestLine);
    const readiness = requestLines.filter((line) => line.route === '/health/ready');
    const others = requestLines.filter((line) => line.route !== '/health/ready');
    expect(readiness.map((line) => line.reqId).sort()).toEqual([...service().readinessIds].sort());
    expect(others.map((line) => line.reqId).sort()).toEqual([...service().requestIds].sort());
    expect(service().requestIds.length).toBeGreaterThanOrEqual(8); // those of the tests above
    for (const line of requestLines) {
      expect(line).toEqual(
        expect.objectContaining({
          reqId: expect.any(String),
          method: expect.any(String),
          route: expect.any(String),
          path: expect.any(String),
          status: expect.any(Number),
          durationMs: expect.any(Number),
        }),
      );
    }
    expectNoSecrets();
  });
});

// eslint-disable-next-line no-control-regex
const ANSI_ESCAPE = /\x1b\[[0-9;]*m/g;

describe('request logs with LOG_PRETTY=1 (pino-pretty)', () => {
  const service = () => services('pretty');

  it('writes human-readable, coloured lines, not JSON, with the message and the request id', async () => {
    const requestId = `log-pretty-${unique()}`;
    const response = await service().send('/ingest', {
      method: 'POST',
      headers: { ...json, 'x-request-id': requestId },
      body: JSON.stringify({ partner_id: 'acme', payload: { a: 1 } }),
    });
    expect(response.status).toBe(201);
    const { id } = (await response.json()) as Receipt;
    expect(await service().stop()).toBe(0);

    const stdout = service().stdout;
    expect(stdout).toMatch(ANSI_ESCAPE);
    const lines = stdout.replace(ANSI_ESCAPE, '').split('\n').filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line)).toThrow();

    // An entry: `[HH:MM:ss.l] INFO: <msg>`, then its fields, indented, one per line.
    const entries = lines.reduce<string[][]>((all, line) => {
      if (/^\s/.test(line) && all.length > 0) all[all.length - 1].push(line.trim());
      else all.push([line]);
      return all;
    }, []);
    const requestEntries = entries.filter(([first]) => first.endsWith(' POST /ingest 201'));
    expect(requestEntries).toHaveLength(1);
    expect(requestEntries[0][0]).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: POST \/ingest 201$/);
    expect(requestEntries[0]).toEqual(
      expect.arrayContaining([`reqId: "${requestId}"`, 'route: "/ingest"', 'status: 201']),
    );
    const listenerEntry = entries.find(([first]) => first.includes(`data ingested id=${id}`));
    expect(listenerEntry).toContain('context: "DataIngested"');
  });
});
