import type { Params } from 'nestjs-pino';
import pino from 'pino';
import type { LogLevelName } from './environment';

/**
 * JSON lines through pino, written asynchronously (sonic-boom; flushed on exit), so that a
 * log line costs the request microseconds, not a synchronous write. Request logging
 * (pino-http's one line per request) is not wired yet: `forRoutes: []`.
 */
export function loggerOptions(level: LogLevelName): Params {
  return {
    pinoHttp: [{ level, autoLogging: false }, pino.destination({ sync: false })],
    forRoutes: [],
  };
}
