import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ShutdownState } from './health/shutdown-state';

const logger = new Logger('Shutdown');

/** Before the deadline, what is left to close once the last connections are cut: the database. */
const CLOSE_MARGIN_MS = 1000;

export interface ShutdownSettings {
  /** After the signal, how long the service keeps serving, readiness 503, before it closes its listener. */
  delayMs: number;
  /** From the signal, the longest the whole shutdown may take; past it the process exits 1. */
  timeoutMs: number;
}

/**
 * On SIGTERM or SIGINT:
 * 1. readiness answers 503 at once, and every response carries `Connection: close`;
 * 2. for `delayMs` the service keeps serving, so that the gateway sees the 503, takes the
 *    instance out of rotation and stops sending before anything is refused;
 * 3. the HTTP server stops accepting and finishes the requests in flight; a connection still
 *    open a second before the deadline is closed, cutting its response short;
 * 4. Nest's shutdown hooks run (the event handlers' work is done by then, the database closes);
 * 5. exit 0. Past `timeoutMs` from the signal, the process exits 1 whatever is left.
 * A second signal while draining is logged and changes nothing.
 *
 * Nest's own `enableShutdownHooks()` stops accepting at once (no delay) and ends by
 * re-raising the signal (exit 143), so this replaces it.
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
