import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ShutdownState } from './health/shutdown-state';

const logger = new Logger('Shutdown');

/**
 * On SIGTERM or SIGINT: readiness fails at once; the HTTP server stops accepting and lets
 * in-flight requests finish; then Nest's shutdown hooks run and the database closes; exit 0.
 * Past `timeoutMs` the process exits 1 whatever is left.
 *
 * Nest's own `enableShutdownHooks()` closes the database before the HTTP server and ends by
 * re-raising the signal (exit 143), so this replaces it.
 */
export function installGracefulShutdown(app: NestFastifyApplication, timeoutMs: number): void {
  let closing = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received: draining`);
    app.get(ShutdownState).begin();
    const deadline = setTimeout(() => {
      logger.error(`shutdown took longer than ${timeoutMs} ms: exiting`);
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    try {
      await app.getHttpAdapter().getInstance().close();
      await app.close();
      logger.log('closed');
      process.exit(0);
    } catch (error) {
      logger.error('shutdown failed', error instanceof Error ? error.stack : String(error));
      process.exit(1);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, (received) => void shutdown(received));
  }
}
