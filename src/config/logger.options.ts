import type { Params } from 'nestjs-pino';
import pino from 'pino';
import type { LogLevelName } from './environment';

/** Buffered log output is written at least this often, however little of it there is. */
const LOG_FLUSH_INTERVAL_MS = 250;

/**
 * JSON lines through pino, written asynchronously and in blocks of at least 4 KiB (or every
 * 250 ms; everything is flushed on exit), so that a log line costs a request microseconds
 * and a batch of 1,000 records does not make 1,000 writes. Request logging (pino-http's
 * one line per request) is not wired yet: `forRoutes: []`.
 */
export function loggerOptions(level: LogLevelName): Params {
  const destination = pino.destination({ sync: false, minLength: 4096 });
  setInterval(() => destination.flush(), LOG_FLUSH_INTERVAL_MS).unref();
  return {
    pinoHttp: [{ level, autoLogging: false }, destination],
    forRoutes: [],
  };
}

/**
 * The log of the start, before Nest's logger is set up (connection retries, a start that
 * fails): the same JSON lines on stdout, written synchronously so that none is lost when the
 * process exits right after.
 */
export const startupLogger = pino({ level: 'info' }, pino.destination({ sync: true }));
