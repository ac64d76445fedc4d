import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, NatsConnection } from 'nats';

/** The machine's NATS with JetStream, always running here. */
export const MACHINE_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

const NATS_SERVER = process.env.NATS_SERVER_BINARY ?? '/usr/sbin/nats-server';
const READY_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 10_000;

export interface StartNatsServerOptions {
  /** A free one by default. */
  port?: number;
  /** A fresh temporary folder by default. */
  storeDir?: string;
}

export interface TestNatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** SIGTERM; resolves once the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL; resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it and deletes its store. */
  remove(): Promise<void>;
}

/** A nats-server of the test's own, with JetStream, resolved once it accepts connections. */
export async function startNatsServer(options: StartNatsServerOptions = {}): Promise<TestNatsServer> {
  const port = options.port ?? (await freePort());
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'ingestion-nats-'));
  let running: ChildProcess | undefined;
  let output = '';

  const start = async (): Promise<void> => {
    if (running !== undefined) throw new Error(`nats-server on port ${port} is already running.`);
    output = '';
    let ready = false;
    const child = spawn(NATS_SERVER, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      ready ||= output.includes('Server is ready');
    });
    running = child;
    const exited = exitOf(child).then(() => {
      if (running === child) running = undefined;
    });
    try {
      await waitUntilAccepting(port, exited, () => ready);
    } catch (error) {
      await signal('SIGKILL');
      throw new Error(`nats-server on port ${port} did not start: ${String(error)}\n${output}`);
    }
  };

  const signal = async (name: NodeJS.Signals): Promise<void> => {
    const child = running;
    if (child === undefined) return;
    const exited = exitOf(child);
    child.kill(name);
    await withTimeout(exited, EXIT_TIMEOUT_MS, `nats-server on port ${port} to exit on ${name}`);
    running = undefined;
  };

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    start,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    remove: async () => {
      await signal('SIGTERM');
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

export interface StreamMessage {
  seq: number;
  subject: string;
  msgId: string | undefined;
  contentType: string | undefined;
  /** UTF-8. */
  body: string;
}

/** Every message of the stream, in stream order (through an ordered consumer, a thousand at a time). */
export async function readStream(url: string, stream: string): Promise<StreamMessage[]> {
  return withConnection(url, async (connection) => {
    const manager = await connection.jetstreamManager();
    const { state } = await manager.streams.info(stream);
    const consumer = await connection.jetstream().consumers.get(stream);
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const messages: StreamMessage[] = [];
    while (messages.length < state.messages) {
      const batch = await consumer.fetch({ max_messages: 1000, expires: 2000 });
      const before = messages.length;
      for await (const message of batch) {
        messages.push({
          seq: message.seq,
          subject: message.subject,
          msgId: message.headers?.get('Nats-Msg-Id') || undefined,
          contentType: message.headers?.get('Content-Type') || undefined,
          body: decoder.decode(message.data),
        });
      }
      if (messages.length === before) throw new Error(`read ${before} of ${state.messages} messages of ${stream}`);
    }
    return messages;
  });
}

/** The number of messages in the stream. */
export async function streamMessageCount(url: string, stream: string): Promise<number> {
  return withConnection(url, async (connection) => {
    const manager = await connection.jetstreamManager();
    return (await manager.streams.info(stream)).state.messages;
  });
}

/** Polls until the stream holds `count` messages; throws naming how many it saw. */
export async function waitForStreamMessages(url: string, stream: string, count: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let seen: number | string = 'none yet';
  for (;;) {
    try {
      seen = await streamMessageCount(url, stream);
      if (seen === count) return;
    } catch (error) {
      seen = `an error: ${String(error)}`;
    }
    if (Date.now() > deadline) {
      throw new Error(`The stream ${stream} did not reach ${count} messages in ${timeoutMs} ms (last seen: ${seen}).`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function withConnection<T>(url: string, work: (connection: NatsConnection) => Promise<T>): Promise<T> {
  const connection = await connect({ servers: url, timeout: 2_000, name: 'ingestion-tests' });
  try {
    return await work(connection);
  } finally {
    await connection.close();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

/** Its own "Server is ready" line too: a connection alone might reach another process that holds the port. */
async function waitUntilAccepting(port: number, exited: Promise<void>, saidReady: () => boolean): Promise<void> {
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(saidReady() && (await accepts(port)))) {
    if (hasExited) throw new Error('it exited');
    if (Date.now() > deadline) throw new Error(`no connection accepted within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function withTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}.`)), timeoutMs)),
  );
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
