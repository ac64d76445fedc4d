import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ShutdownState } from './health/shutdown-state';

const logger = new Logger('Shutdown');

/** Before the deadline, what is left to close once the last connections are cut: the database. */
const CLOSE_MARGIN_MS = 1000;

export interface ShutdownSettings {
  delayMs: number;
  timeoutMs: number;
}

/**
 * Readiness 503 at once, but serving for `delayMs` so the gateway takes the instance out of rotation before anything
 * is refused. Replaces Nest's `enableShutdownHooks()`: it stops accepting at once and re-raises the signal (exit 143).
 */
export function installGracefulShutdown(app: NestFastifyApplication, { delayMs, timeoutMs }: ShutdownSettings): void {
  let closing = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (closing) {
      logger.warn(`${signal} received while draining: already shutting down`);
      return;
    }
    closing = true;
    logger.log(`${signal} received: readiness 503, closing in ${delayMs} ms`);
    app.get(ShutdownState).begin();
    const deadline = setTimeout(() => {
      logger.error(`shutdown took longer than ${timeoutMs} ms: exiting`);
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    // A response that cannot finish in time (a stalled export) must not keep the rest from closing cleanly.
    const cutOff = setTimeout(
      () => {
        logger.warn('responses still in flight at the shutdown deadline: closing their connections');
        app.getHttpServer().closeAllConnections();
      },
      Math.max(delayMs, timeoutMs - CLOSE_MARGIN_MS),
    );
    cutOff.unref();
    try {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
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
    process.on(signal, (received) => void shutdown(received));
  }
}
