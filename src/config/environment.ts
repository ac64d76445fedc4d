import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
  type ValidationArguments,
} from 'class-validator';
import { proxyTrustOf } from '../http/trusted-proxies';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** Every setting the service reads, with its default; `validateEnvironment` refuses the start on any bad value. */
export class Environment {
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 5001;

  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

  @Matches(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, {
    message: 'DATABASE_URL must be sqlite:<file path> or postgres://user@host:port/database',
  })
  DATABASE_URL = 'sqlite:./data/ingestion.sqlite';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevelName = 'info';

  /** 1: human-readable, coloured log lines (pino-pretty), for a terminal; 0: JSON lines. */
  @IsIn(['0', '1'], { message: 'LOG_PRETTY must be 0 or 1' })
  LOG_PRETTY: '0' | '1' = '0';

  /** Mean event loop delay past which new ingests get 503 instead of queueing (0: never shed). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS = 1_000;

  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(60_000)
  LOAD_SHEDDING_SAMPLE_INTERVAL_MS = 1_000;

  @Type(() => Number)
  @IsInt()
  @Min(2)
  @Max(64 * 1024 * 1024)
  MAX_PAYLOAD_BYTES = 262_144;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  MAX_BATCH_RECORDS = 1000;

  @Type(() => Number)
  @IsInt()
  @Min(2)
  @Max(256 * 1024 * 1024)
  MAX_BATCH_BYTES = 4 * 1024 * 1024;

  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1 / 3600, { message: 'IDEMPOTENCY_TTL_HOURS must be at least 1 second (0.000278)' })
  @Max(87_600, { message: 'IDEMPOTENCY_TTL_HOURS must be at most 87600 (10 years)' })
  IDEMPOTENCY_TTL_HOURS = 24;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  SHUTDOWN_TIMEOUT_MS = 10_000;

  /** After SIGTERM, still serving with readiness 503: the gateway's time to take the instance out of rotation. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  SHUTDOWN_DELAY_MS = 1_000;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  SQLITE_BUSY_TIMEOUT_MS = 5_000;

  // The pool (per instance) and the two timeouts below are PostgreSQL's; a statement timeout of 0 means none.
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  DATABASE_POOL_SIZE = 10;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  DATABASE_STATEMENT_TIMEOUT_MS = 10_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  DATABASE_CONNECT_TIMEOUT_MS = 5_000;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  DATABASE_CONNECT_RETRIES = 10;

  @Type(() => Number)
  @IsInt()
  @Min(0)
  DATABASE_CONNECT_RETRY_DELAY_MS = 1_000;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  DATABASE_EXPORT_CONNECTIONS?: number;

  /** A streamed list whose client reads nothing for this long is cut off. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  EXPORT_STALL_TIMEOUT_MS = 30_000;

  @Type(() => Number)
  @IsInt()
  @Min(100)
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  @Type(() => Number)
  @IsInt()
  @Min(100)
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  HTTP_MAX_CONNECTIONS = 10_000;

  /** Longer than any gateway's idle timeout for upstream connections, so that the gateway always closes first. */
  @Type(() => Number)
  @IsInt()
  @Min(1_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 72_000;

  /**
   * The proxies whose X-Forwarded-For, -Host, -Proto and -Prefix are believed, as Fastify's `trustProxy` takes
   * them; empty: none. A default, not optional: ConfigService falls back to process.env for a setting it lacks.
   */
  @IsProxyTrust()
  TRUST_PROXY = '';

  /** Where records are delivered (nats://host:port, comma-separated for a cluster); empty: in-process only. */
  @Matches(/^$|^(nats|tls):\/\/[^\s,]+(,(nats|tls):\/\/[^\s,]+)*$/, {
    message: 'NATS_URL must be empty or nats://host:port (comma-separated for several servers)',
  })
  NATS_URL = '';

  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'NATS_STREAM must be 1-64 letters, digits, _ or -' })
  NATS_STREAM = 'INGESTION';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 3600)
  NATS_DUPLICATE_WINDOW_S = 600;

  /** How often the relay looks at the event log when nothing woke it (a wake-up lost in a crash, another instance's records). */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(60_000)
  EVENT_RELAY_POLL_INTERVAL_MS = 500;

  /** How long the relaying instance's lease lasts unrenewed: another instance takes over within it after a crash. */
  @Type(() => Number)
  @IsInt()
  @Min(500)
  @Max(60_000)
  EVENT_RELAY_LEASE_MS = 3_000;

  /** A stream client more than this many events behind the live feed is disconnected (it resumes with Last-Event-ID). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  STREAM_MAX_LAG = 10_000;

  /** Open `GET /ingest/stream` connections per instance; past it 503 with Retry-After. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  STREAM_MAX_CLIENTS = 1_000;

  /** How often an idle stream carries a `: ping` comment, so that gateways and clients see it alive. */
  @Type(() => Number)
  @IsInt()
  @Min(50)
  @Max(300_000)
  STREAM_HEARTBEAT_MS = 15_000;

  /** Requests each API key may make per second on average (0: no limit); a batch counts as one. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  RATE_LIMIT_PER_SECOND = 1_000;

  /** Requests a key may make at once, within RATE_LIMIT_BURST / RATE_LIMIT_PER_SECOND seconds. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  RATE_LIMIT_BURST = 2_000;

  /** Where rate limit counters are shared by every instance (redis://host:port/db); empty: each instance counts alone. */
  @Matches(/^$|^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be empty or redis://[user:password@]host:port[/db]' })
  REDIS_URL = '';
}

function IsProxyTrust(): PropertyDecorator {
  return ValidateBy({
    name: 'isProxyTrust',
    validator: {
      validate: (value: unknown) => proxyTrustError(value) === undefined,
      defaultMessage: (args?: ValidationArguments) =>
        `${args?.property} must be true, false, a hop count, or a comma-separated list of IP addresses, CIDRs and the ` +
        `names loopback, linklocal, uniquelocal (${proxyTrustError(args?.value)})`,
    },
  });
}

function proxyTrustError(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'not a string';
  try {
    proxyTrustOf(value);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Half the pool by default: on PostgreSQL each streamed list holds a pooled connection; the rest is for ingestion. */
export function exportConnections(
  environment: Pick<Environment, 'DATABASE_EXPORT_CONNECTIONS' | 'DATABASE_POOL_SIZE'>,
): number {
  return environment.DATABASE_EXPORT_CONNECTIONS ?? Math.max(1, Math.floor(environment.DATABASE_POOL_SIZE / 2));
}
