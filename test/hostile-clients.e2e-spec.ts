import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { waitFor } from './support/http';
import { rawExchange, requestHead } from './support/raw-http';
import { freePort, ServiceProcess, startService, waitUntilReady } from './support/service-process';
import { createTestDatabase, TestDatabase } from './support/test-app';

jest.setTimeout(40000);

const MAX_OPEN_FILES = 256;

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  err?: unknown;
  [key: string]: unknown;
}

/** The JSON log lines of `output`, but for a last one not yet written whole. */
function logLines(output: string): LogLine[] {
  return output
    .slice(0, output.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

function openFileCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** A connection that sends the start of a request's head and then nothing. */
function slowSocket(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      resolve(socket);
    });
    socket.on('error', () => resolve(socket));
  });
}

describe(`the service as a process, with ${MAX_OPEN_FILES} file descriptors, under hostile clients`, () => {
  let database: TestDatabase;
  let service: ServiceProcess;
  let port: number;

  beforeAll(async () => {
    database = await createTestDatabase();
    port = await freePort();
    service = startService(
      {
        PORT: String(port),
        DATABASE_URL: database.url,
        LOG_LEVEL: 'info',
        // Long enough that the slow sockets below stay open for the whole test.
        HTTP_HEADERS_TIMEOUT_MS: '30000',
        HTTP_REQUEST_TIMEOUT_MS: '30000',
        LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS: '1000',
        LOAD_SHEDDING_SAMPLE_INTERVAL_MS: '100',
      },
      undefined,
      { maxOpenFiles: MAX_OPEN_FILES },
    );
    await waitUntilReady(service);
    // Loads (and, run from source, compiles) the ingest path, which holds the event loop long
    // enough for the 100 ms load-shedding sample to shed the next ingest.
    await fetch(`${service.url}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ partner_id: 'acme', payload: { warm: 'up' } }),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
  });

  afterAll(async () => {
    if (service.child.exitCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
    await database.remove();
  });

  it('logs a client that closes the connection in the middle of its body at info, with no error line', async () => {
    const requestId = `abort-${randomBytes(4).toString('hex')}`;
    const before = service.output().length;

    await rawExchange(
      port,
      [
        requestHead('POST /ingest HTTP/1.1', {
          'Content-Type': 'application/json',
          'Content-Length': 1000,
          'X-Request-Id': requestId,
        }),
        '{"partner_id":"acme","payload":{',
        { pauseMs: 200 },
      ],
      { waitMs: 300 },
    );
    await waitFor(() => service.output().includes(requestId), 'a log line about the aborted request', 3000);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const lines = logLines(service.output().slice(before));
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    expect(service.output().slice(before)).not.toMatch(/\n\s+at /);
    const aborted = lines.filter((line) => JSON.stringify(line).includes(requestId));
    expect(aborted).toContainEqual(
      expect.objectContaining({ level: 30, msg: expect.stringMatching(/connection closed before the whole request/) }),
    );
    expect(aborted.filter((line) => line.level !== 30)).toEqual([]);
  });

  it('survives running out of file descriptors, then serves requests again', async () => {
    const pid = service.child.pid!;
    const sockets = await Promise.all(Array.from({ length: 300 }, () => slowSocket(port)));
    try {
      await waitFor(() => openFileCount(pid) >= MAX_OPEN_FILES - 4, 'the service to run out of file descriptors');
      // Several load-shedding samples and request-timeout checks run while none is left.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(service.child.exitCode).toBeNull();
    } finally {
      for (const socket of sockets) socket.destroy();
    }

    await waitFor(
      async () => (await fetch(`${service.url}/health/live`).catch(() => undefined))?.status === 200,
      'the service to answer again',
      10000,
    );
    const created = await fetch(`${service.url}/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ partner_id: 'acme', payload: { after: 'exhaustion' } }),
    });
    expect(created.status).toBe(201);
    expect(service.child.exitCode).toBeNull();
    expect(logLines(service.output()).filter((line) => line.level >= 50)).toEqual([]);
  });
});
