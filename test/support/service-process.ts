import { ChildProcess, spawn } from 'node:child_process';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ServiceProcessOptions {
  /** Most file descriptors the process may hold (`prlimit --nofile`, which runs node in its own place). */
  maxOpenFiles?: number;
}

/** Runs src/main.ts in a child process (transpiled on load), as `npm start` runs the build. */
export function startService(
  env: Record<string, string>,
  cwd = ROOT,
  { maxOpenFiles }: ServiceProcessOptions = {},
): ServiceProcess {
  const node = [process.execPath, '-r', join(ROOT, 'test/support/register-typescript.js'), join(ROOT, 'src/main.ts')];
  const command = maxOpenFiles === undefined ? node : ['prlimit', `--nofile=${maxOpenFiles}:${maxOpenFiles}`, ...node];
  const child = spawn(command[0], command.slice(1), {
    cwd,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, url: `http://127.0.0.1:${env.PORT}`, output: () => output, exited };
}

/** Polls until `url` answers 200, the process exits, or the time is up. */
export async function waitUntilReady(service: ServiceProcess, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null) throw new Error(`service exited early:\n${service.output()}`);
    if ((await readinessStatus(`${service.url}/health/ready`)) === 200) return;
    if (Date.now() > deadline) throw new Error(`service not ready in ${timeoutMs} ms:\n${service.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * On a connection of its own, closed after the answer: a keep-alive connection left idle in a pool would be one more
 * connection that a draining service waits for.
 */
function readinessStatus(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    get(url, { agent: false, headers: { connection: 'close' } }, (response) => {
      response.resume();
      resolve(response.statusCode);
    }).once('error', () => resolve(undefined));
  });
}
