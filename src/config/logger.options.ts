import type { Params } from 'nestjs-pino';
import pino, { type DestinationStream } from 'pino';
import pinoPretty from 'pino-pretty';
import type { LogLevelName } from './environment';

/** Buffered log output is written at least this often, however little of it there is. */
const LOG_FLUSH_INTERVAL_MS = 250;

export interface LoggerSettings {
  level: LogLevelName;
  pretty: boolean;
  fd?: 1 | 2;
}

/**
 * pino-http's middleware is not wired (`forRoutes: []`): the request log is a Fastify hook. JSON is written
 * asynchronously in blocks of at least 4 KiB (flushed on exit), so a log line costs a request microseconds.
 */
export function loggerOptions({ level, pretty, fd = 1 }: LoggerSettings): Params {
  return {
    pinoHttp: [{ level, autoLogging: false }, pretty ? prettyDestination(fd) : jsonDestination(fd)],
    forRoutes: [],
  };
}

function jsonDestination(fd: 1 | 2): DestinationStream {
  const destination = pino.destination({ dest: fd, sync: false, minLength: 4096 });
  setInterval(() => destination.flush(), LOG_FLUSH_INTERVAL_MS).unref();
  return destination;
}

function prettyDestination(fd: 1 | 2): DestinationStream {
  return pinoPretty({
    destination: fd,
    colorize: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: true,
  });
}

/** Before Nest's logger is set up (connection retries, a failed start): synchronous, so that none is lost on exit. */
export const startupLogger = pino({ level: 'info' }, pino.destination({ sync: true }));

export function startupLoggerOn(fd: 1 | 2): pino.Logger {
  return fd === 1 ? startupLogger : pino({ level: 'info' }, pino.destination({ dest: 2, sync: true }));
}
