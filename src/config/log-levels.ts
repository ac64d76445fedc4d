import type { LogLevel } from '@nestjs/common';
import { LOG_LEVELS, LogLevelName } from './environment';

const NEST_LEVEL: Record<LogLevelName, LogLevel> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'log',
  debug: 'debug',
  trace: 'verbose',
};

/** `LOG_LEVEL` (pino-style names) → the Nest levels at or above it. */
export function nestLogLevels(level: LogLevelName): LogLevel[] {
  return LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1).map((name) => NEST_LEVEL[name]);
}
