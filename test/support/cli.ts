import { spawn } from 'node:child_process';
import { join } from 'node:path';

const REGISTER_TYPESCRIPT = join(__dirname, 'register-typescript.js');

/** A run that takes longer has left a handle open (or hangs on the database): it is killed and fails. */
const RUN_TIMEOUT_MS = 30_000;

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The process environment without any setting of the service, so that only the given ones (and `.env`) apply. */
export function environmentWith(variables: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(DATABASE_|SQLITE_|LOG_|PORT$|HOST$)/.test(name)) env[name] = value;
  }
  return { ...env, ...variables };
}

/** Runs a CLI of src/ from source, as `node dist/<name>.js` runs the build, in `cwd` (where it looks for `.env`). */
export function runSourceCli(
  script: string,
  args: string[],
  variables: Record<string, string>,
  cwd: string,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', REGISTER_TYPESCRIPT, script, ...args], {
      cwd,
      env: environmentWith(variables),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      stderr += `\n[killed: still running after ${RUN_TIMEOUT_MS} ms]`;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
