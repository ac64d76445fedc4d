import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './service-process';

const DEPLOY = join(__dirname, '..', '..', 'deploy');

export interface Gateway {
  name: string;
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** The nginx image's template step: `${NAME}` replaced from `variables`, nginx's own `$variables` left alone. */
export function renderTemplate(template: string, variables: Record<string, string>): string {
  return template.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => variables[name] ?? whole);
}

/** nginx in the foreground with deploy/nginx's config, in a prefix folder of its own. */
export async function startNginx(instances: [string, string]): Promise<Gateway> {
  const port = await freePort();
  const prefix = mkdtempSync(join(tmpdir(), 'gateway-nginx-'));
  // Workers run as nobody and reach their temp folders through the prefix.
  chmodSync(prefix, 0o755);
  const site = renderTemplate(readFileSync(join(DEPLOY, 'nginx/ingestion.conf.template'), 'utf8'), {
    INGESTION_A: instances[0],
    INGESTION_B: instances[1],
    NGINX_PORT: `127.0.0.1:${port}`,
  });
  writeFileSync(join(prefix, 'ingestion.conf'), site);
  writeFileSync(
    join(prefix, 'nginx.conf'),
    [
      'worker_processes 1;',
      `pid ${prefix}/nginx.pid;`,
      `error_log ${prefix}/error.log warn;`,
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${prefix}/${kind};`),
      `  include ${prefix}/ingestion.conf;`,
      '}',
    ].join('\n'),
  );
  const child = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return started('nginx', child, port, () => readFileSync(join(prefix, 'error.log'), 'utf8'), prefix);
}

/** HAProxy in the foreground with deploy/haproxy's config, which reads its addresses from the environment. */
export async function startHaproxy(instances: [string, string]): Promise<Gateway> {
  const port = await freePort();
  const child = spawn('haproxy', ['-db', '-f', join(DEPLOY, 'haproxy/haproxy.cfg')], {
    env: {
      ...process.env,
      INGESTION_A: instances[0],
      INGESTION_B: instances[1],
      HAPROXY_BIND: `127.0.0.1:${port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return started('haproxy', child, port, () => '');
}

async function started(
  name: string,
  child: ChildProcess,
  port: number,
  logFile: () => string,
  folder?: string,
): Promise<Gateway> {
  let output = '';
  let spawnError: Error | undefined;
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once('error', (error) => (spawnError = error));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const readOutput = () => {
    let log = '';
    try {
      log = logFile();
    } catch {
      // not written yet
    }
    return output + log;
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (spawnError !== undefined) throw new Error(`${name} could not start: ${spawnError.message}`);
    if (child.exitCode !== null) throw new Error(`${name} exited at start:\n${readOutput()}`);
    const listening = await fetch(`${url}/health/live`, { headers: { connection: 'close' } }).then(
      () => true,
      () => false,
    );
    if (listening) break;
    if (Date.now() > deadline) throw new Error(`${name} not listening in 10 s:\n${readOutput()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    name,
    url,
    output: readOutput,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
    },
  };
}
