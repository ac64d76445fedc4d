import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EventLogRelay } from '../../application/ports/event-log.relay';
import { IntegrationEventPublisher } from '../../application/ports/integration-event.publisher';
import { PrometheusEventDeliveryMetrics } from '../metrics/prometheus-event-delivery.metrics';
import { EventLogEntry, EventLogStore } from '../persistence/event-log.store';
import { LingeringWait } from './lingering-wait';

export interface EventLogRelayOptions {
  pollIntervalMs: number;
  leaseMs: number;
}

class PublishFailedError extends Error {
  constructor(readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * Delivers the event log to the publisher a page at a time, in log order, and moves the sink's cursor
 * only after the publisher confirmed the page: a crash sends the page again, never skips it. The
 * instance holding the sink's lease relays; the others retry the lease at every poll and take over
 * once it expires unrenewed.
 */
@Injectable()
export class LeasedEventLogRelay extends EventLogRelay implements OnApplicationBootstrap, OnModuleDestroy {
  static readonly PAGE_ROWS = 1000;
  static readonly PAGE_BYTES = 4 * 1024 * 1024;
  static readonly FIRST_BACKOFF_MS = 100;
  static readonly MAX_BACKOFF_MS = 5_000;
  /** After a wake-up, a moment for more records to join the page: fewer, larger pages under load. */
  static readonly LINGER_MS = 5;
  static readonly BACKLOG_METRICS_INTERVAL_MS = 250;

  private readonly logger = new Logger(LeasedEventLogRelay.name);
  private readonly owner = randomUUID();
  private running?: Promise<void>;
  private stopping = false;
  private woken = false;
  private readonly pause = new LingeringWait(() => LeasedEventLogRelay.LINGER_MS);
  private failuresInARow = 0;
  private holdsLease = false;
  private leaseRenewedAt = 0;
  private delivered = 0;
  private backlogMeasuredAt = 0;
  private reportedDatabaseOutage = false;

  constructor(
    private readonly log: EventLogStore,
    private readonly publisher: IntegrationEventPublisher,
    private readonly metrics: PrometheusEventDeliveryMetrics,
    private readonly options: EventLogRelayOptions,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.running = this.run();
  }

  /** Ignored while backing off: a broker that is away would otherwise be retried once per ingest. */
  wake(): void {
    this.woken = true;
    if (this.failuresInARow === 0) this.pause.wake();
  }

  /** Lets the page in flight finish, then hands the lease over so that another instance goes on at once. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.pause.end();
    await this.running;
    if (this.holdsLease) await this.log.release(this.publisher.sink, this.owner).catch(() => undefined);
    this.leaseHeld(false);
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.woken = false;
      let wait = this.options.pollIntervalMs;
      try {
        if (await this.deliverPage()) wait = 0;
        this.recovered();
      } catch (error) {
        wait = this.failed(error);
      }
      await this.measureBacklog();
      const lingering = this.woken && this.failuresInARow === 0 && wait > LeasedEventLogRelay.LINGER_MS;
      if (!this.stopping) await this.pause.for(lingering ? LeasedEventLogRelay.LINGER_MS : wait, !lingering);
    }
  }

  /** True when a full page was delivered: more may wait. */
  private async deliverPage(): Promise<boolean> {
    if (!(await this.keepLease())) return false;
    const entries = await this.log.entriesAfter(
      this.delivered,
      LeasedEventLogRelay.PAGE_ROWS,
      LeasedEventLogRelay.PAGE_BYTES,
    );
    if (entries.length === 0) return false;
    await this.publishKeepingLease(entries);
    const last = entries[entries.length - 1].position;
    const moved = await this.log.advance(this.publisher.sink, this.owner, last, this.options.leaseMs);
    this.leaseHeld(moved);
    if (!moved) return false;
    this.delivered = last;
    this.metrics.eventsPublished(entries.length);
    return (
      entries.length === LeasedEventLogRelay.PAGE_ROWS || payloadBytes(entries) >= LeasedEventLogRelay.PAGE_BYTES / 2
    );
  }

  /** Only the holder moves the cursor, so while the lease is held the cursor read with it stays true. */
  private async keepLease(): Promise<boolean> {
    if (this.holdsLease && Date.now() - this.leaseRenewedAt < this.options.leaseMs / 3) return true;
    const delivered = await this.log.lease(this.publisher.sink, this.owner, this.options.leaseMs);
    this.leaseHeld(delivered !== undefined);
    if (delivered !== undefined) this.delivered = delivered;
    return this.holdsLease;
  }

  private async measureBacklog(): Promise<void> {
    if (Date.now() - this.backlogMeasuredAt < LeasedEventLogRelay.BACKLOG_METRICS_INTERVAL_MS) return;
    this.backlogMeasuredAt = Date.now();
    try {
      const { pending, oldestTimestamp } = await this.log.backlog(this.publisher.sink);
      this.metrics.backlog(pending, oldestTimestamp);
    } catch {
      // The database is away: the pass that failed reports it.
    }
  }

  private async publishKeepingLease(entries: EventLogEntry[]): Promise<void> {
    const renewal = setInterval(() => void this.keepLease().catch(() => undefined), this.options.leaseMs / 4);
    try {
      await this.publisher.publish(entries);
    } catch (error) {
      this.metrics.publishFailed();
      throw new PublishFailedError(error);
    } finally {
      clearInterval(renewal);
    }
  }

  /** The publisher reports its sink's outages itself; the relay reports the database's, one line each way. */
  private failed(error: unknown): number {
    this.failuresInARow++;
    if (!(error instanceof PublishFailedError) && !this.reportedDatabaseOutage) {
      this.reportedDatabaseOutage = true;
      this.logger.warn(`Event delivery paused: the event log cannot be read (${(error as Error).message})`);
    }
    // Each retry renews the lease, so that an outage of the sink does not move it between instances.
    const longest = Math.min(LeasedEventLogRelay.MAX_BACKOFF_MS, this.options.leaseMs / 3);
    return Math.min(longest, LeasedEventLogRelay.FIRST_BACKOFF_MS * 2 ** (this.failuresInARow - 1));
  }

  private recovered(): void {
    if (this.reportedDatabaseOutage) this.logger.log('Event delivery resumed: the event log can be read again');
    this.reportedDatabaseOutage = false;
    this.failuresInARow = 0;
  }

  private leaseHeld(held: boolean): void {
    this.holdsLease = held;
    if (held) this.leaseRenewedAt = Date.now();
    this.metrics.relayingHere(held);
  }
}

function payloadBytes(entries: readonly EventLogEntry[]): number {
  return entries.reduce((bytes, entry) => bytes + entry.payloadJson.length, 0);
}
