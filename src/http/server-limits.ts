import { Logger } from '@nestjs/common';
import type { Server } from 'node:http';

export interface ServerLimits {
  /** From a request's first byte to the end of its headers (then 408 and the connection closes). */
  headersTimeoutMs: number;
  /** From a request's first byte to the end of its body. */
  requestTimeoutMs: number;
  /** Sockets open at once; Node closes any further one as soon as it is accepted. */
  maxConnections: number;
}

const logger = new Logger('HttpServer');

/**
 * Slow and greedy clients: header and request timeouts (what a timed-out client gets is
 * written by ./client-error.handler), a cap on open sockets, and an accept error (the process
 * is out of file descriptors) logged instead of killing the process. libuv already answers
 * most of those by closing the connections it cannot keep; the error reaches the server only
 * when that fails too. Call before `listen`.
 */
export function applyServerLimits(server: Server, limits: ServerLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.maxConnections = limits.maxConnections;
  let lastWarningAt = 0;
  // Only once listening: until then an error (EADDRINUSE) is the listen call's to report.
  server.once('listening', () =>
    server.on('error', (error: NodeJS.ErrnoException) => {
      if (Date.now() - lastWarningAt < 1000) return;
      lastWarningAt = Date.now();
      logger.warn(`cannot accept connections (${error.code ?? error.message}): refusing them for now`);
    }),
  );
}
