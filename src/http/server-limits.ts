import { Logger } from '@nestjs/common';
import type { Server } from 'node:http';

export interface ServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnections: number;
  keepAliveTimeoutMs: number;
}

const logger = new Logger('HttpServer');

/** Call before `listen`. An accept error (out of file descriptors) is logged instead of killing the process. */
export function applyServerLimits(server: Server, limits: ServerLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
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
