import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import type { DataSource, DataSourceOptions } from 'typeorm';

type PostgresConnectionOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

/** The channel the event-log migration's trigger notifies when records are committed. */
export const EVENT_LOG_CHANNEL = 'ingestion_event_log';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/**
 * PostgreSQL tells every instance at once when any instance commits records (LISTEN/NOTIFY), on one
 * connection of its own per instance, kept out of the pool. While it is down, the feed's poll still finds them.
 */
export class EventLogNotifications {
  private readonly logger = new Logger('LiveFeed');
  private client?: Client;
  private listening = false;
  private stopped = false;
  private retryMs = FIRST_RETRY_MS;
  private retry?: NodeJS.Timeout;
  private reportedOutage = false;

  constructor(
    private readonly options: PostgresConnectionOptions,
    private readonly notified: () => void,
  ) {}

  static for(dataSource: DataSource, notified: () => void): EventLogNotifications | undefined {
    return dataSource.options.type === 'postgres' ? new EventLogNotifications(dataSource.options, notified) : undefined;
  }

  /** Idempotent; resolves once listening, or after the first failure (it then retries in the background). */
  async listen(): Promise<void> {
    if (this.listening || this.client !== undefined || this.stopped) return;
    const client = new Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: this.options.connectTimeoutMS,
      application_name: `${this.options.applicationName ?? 'ingestion-service'} live feed`,
      keepAlive: true,
    });
    this.client = client;
    client.on('notification', () => this.notified());
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENT_LOG_CHANNEL}`);
      this.listening = true;
      this.retryMs = FIRST_RETRY_MS;
      if (this.reportedOutage) this.logger.log("Listening for other instances' records again");
      this.reportedOutage = false;
      // Records committed while nobody listened.
      this.notified();
    } catch (error) {
      this.lost(client, error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    this.listening = false;
    await client?.end().catch(() => undefined);
  }

  private lost(client: Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.listening = false;
    client.removeAllListeners('notification');
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    if (!this.reportedOutage) {
      this.reportedOutage = true;
      this.logger.warn(
        `Not listening for other instances' records (${(error as Error).message}); polling until it reconnects`,
      );
    }
    this.retry = setTimeout(() => void this.listen(), this.retryMs);
    this.retry.unref();
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
  }
}
