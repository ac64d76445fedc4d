import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server as HttpServer } from 'node:http';
import { Server as NetServer } from 'node:net';
import { ShutdownState } from './health/shutdown-state';

const logger = new Logger('Shutdown');

/** Left, before the deadline, to close the database once the last connections are cut. */
const CLOSE_MARGIN_MS = 1000;

export interface ShutdownSettings {
  delayMs: number;
  timeoutMs: number;
}

/**
 * Serving for `delayMs` with readiness 503, so the gateway takes the instance out of rotation before anything is
 * refused. Not Nest's `enableShutdownHooks()`: it stops accepting at once and re-raises the signal (exit 143).
 */
export function installGracefulShutdown(app: NestFastifyApplication, { delayMs, timeoutMs }: ShutdownSettings): void {
  let closing = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (closing) {
      logger.warn(`${signal} received while draining: already shutting down`);
      return;
    }
    closing = true;
    logger.log(`${signal} received: readiness 503, still accepting connections for ${delayMs} ms`);
    app.get(ShutdownState).begin();
    const deadline = setTimeout(() => {
      logger.error(`shutdown took longer than ${timeoutMs} ms: exiting`);
      process.exit(1);
    }, timeoutMs);
    deadline.unref();
    // A stalled export, or a client that keeps its connection idle, must not keep the rest from closing cleanly.
    const cutOff = setTimeout(
      () => {
        const server = app.getHttpServer();
        server.getConnections((_error, count) =>
          logger.log(`${count} connections still open at the shutdown deadline: closing them`),
        );
        server.closeAllConnections();
      },
      Math.max(delayMs, timeoutMs - CLOSE_MARGIN_MS),
    );
    cutOff.unref();
    try {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      app.get(ShutdownState).drain();
      await stopAccepting(app.getHttpServer());
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

/**
 * Not `http.Server#close`, which also closes the idle keep-alive connections at once, while a gateway may be writing a
 * request onto one (nginx then answers 502). Their clients close them: after a `Connection: close`, or when idle.
 */
function stopAccepting(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.getConnections((_error, count) =>
      logger.log(`no longer accepting connections; waiting for the ${count} open ones to close`),
    );
    NetServer.prototype.close.call(server, () => resolve());
  });
}
