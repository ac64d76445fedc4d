import { Logger, OnModuleDestroy } from '@nestjs/common';
import { LiveFeed, LiveFeedEntry, LiveFeedFilter, LiveFeedSubscription } from '../../application/ports/live-feed';
import { StreamUnavailableError } from '../../domain/ingestion.errors';
import { PrometheusLiveFeedMetrics } from '../metrics/prometheus-live-feed.metrics';
import { LingeringWait } from '../messaging/lingering-wait';
import { EventLogNotifications } from '../persistence/event-log.notifications';
import { EventLogStore, FeedPageRequest } from '../persistence/event-log.store';
import { translateDatabaseError } from '../persistence/database-errors';
import { FeedSubscription } from './feed-subscription';
import { RecentEntries } from './recent-entries';

export interface LiveFeedOptions {
  maxClients: number;
  maxLag: number;
  /** How often the log is read when nothing woke the feed (a lost notification, SQLite shared by processes). */
  pollIntervalMs: number;
  /** The newest entries every client shares from memory; a client behind them reads the database. */
  recent?: { entries: number; bytes: number };
}

/** A page handed to one client: small, so that a slow socket holds little. */
export const CLIENT_PAGE = { rows: 500, bytes: 256 * 1024 } as const;

/**
 * One reader per instance follows the event log while any client streams, keeps the newest entries
 * in memory for every client to share, and wakes the clients waiting for them. A client behind
 * that window catches up from the database, a page at a time, as fast as its socket takes it.
 */
export class EventLogLiveFeed extends LiveFeed implements OnModuleDestroy {
  static readonly TAIL_PAGE = { rows: 1000, bytes: 4 * 1024 * 1024 } as const;
  static readonly RECENT = { entries: 8192, bytes: 16 * 1024 * 1024 } as const;
  /** Catch-up queries at once: streams never take the pool from ingestion. */
  static readonly CATCH_UP_QUERIES = 2;
  /** After a wake-up, a moment for more records to join the page. */
  static readonly LINGER_MS = 5;
  /**
   * Under load, reads at most this often: each read costs every client a write (a syscall), so fewer,
   * larger pages keep ingestion fast with many clients, for a few milliseconds of latency.
   */
  static readonly MIN_READ_INTERVAL_MS = 50;
  static readonly MAX_BACKOFF_MS = 5_000;

  private readonly logger = new Logger('LiveFeed');
  private readonly subscriptions = new Set<FeedSubscription>();
  private readonly recent: RecentEntries;
  private readonly catchUpQueue: Array<() => void> = [];
  private readonly notifications?: EventLogNotifications;
  private catchUpsRunning = 0;
  private started?: Promise<void>;
  private tail?: Promise<void>;
  private closing = false;
  private woken = false;
  private readonly pause = new LingeringWait(() => this.linger());
  private lastReadAt = 0;
  private failuresInARow = 0;

  constructor(
    private readonly log: EventLogStore,
    private readonly metrics: PrometheusLiveFeedMetrics,
    private readonly options: LiveFeedOptions,
    notificationsFor: (wake: () => void) => EventLogNotifications | undefined,
  ) {
    super();
    const recent = options.recent ?? EventLogLiveFeed.RECENT;
    this.recent = new RecentEntries(recent.entries, recent.bytes);
    this.notifications = notificationsFor(() => this.wake());
  }

  get head(): number {
    return this.recent.head;
  }

  /** No page outruns a client by more than the lag it is allowed: a burst alone never drops one that keeps up. */
  private get tailPageRows(): number {
    return Math.min(EventLogLiveFeed.TAIL_PAGE.rows, this.options.maxLag);
  }

  get maxLag(): number {
    return this.options.maxLag;
  }

  locate(id: string): Promise<{ position: number; partnerId: string } | null> {
    return this.guarded(() => this.log.locate(id));
  }

  async subscribe(filter: LiveFeedFilter): Promise<LiveFeedSubscription> {
    if (this.closing) throw new StreamUnavailableError('The service is shutting down; reconnect to another instance.');
    if (this.subscriptions.size >= this.options.maxClients) {
      throw new StreamUnavailableError(
        `${this.options.maxClients} streams are open on this instance (STREAM_MAX_CLIENTS); retry later.`,
      );
    }
    const subscription = new FeedSubscription(this, filter, this.metrics);
    this.subscriptions.add(subscription);
    this.metrics.open(this.subscriptions.size);
    try {
      await this.tailStarted();
    } catch (error) {
      this.remove(subscription);
      throw translateDatabaseError(error);
    }
    subscription.start(filter.afterPosition ?? this.head, this.head);
    return subscription;
  }

  wake(): void {
    this.woken = true;
    if (this.failuresInARow === 0) this.pause.wake();
  }

  /** Ends every stream cleanly and refuses new ones: the clients reconnect, to another instance. */
  shutDown(): void {
    this.closing = true;
    for (const subscription of [...this.subscriptions]) subscription.end('shutdown');
    this.pause.end();
  }

  async onModuleDestroy(): Promise<void> {
    this.shutDown();
    await this.tail;
    await this.notifications?.stop();
  }

  remove(subscription: FeedSubscription): void {
    if (this.subscriptions.delete(subscription)) this.metrics.open(this.subscriptions.size);
  }

  /** Entries after `cursor` from memory, or undefined when they are no longer all there. */
  recentAfter(cursor: number, filter: LiveFeedFilter): { entries: LiveFeedEntry[]; scannedTo: number } | undefined {
    return this.recent.after(cursor, filter.partnerId, CLIENT_PAGE);
  }

  async catchUp(request: FeedPageRequest): Promise<LiveFeedEntry[]> {
    if (this.catchUpsRunning >= EventLogLiveFeed.CATCH_UP_QUERIES) {
      await new Promise<void>((resolve) => this.catchUpQueue.push(resolve));
    }
    this.catchUpsRunning++;
    try {
      return await this.guarded(() => this.log.feedPage(request));
    } finally {
      this.catchUpsRunning--;
      this.catchUpQueue.shift()?.();
    }
  }

  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }

  private tailStarted(): Promise<void> {
    this.started ??= this.startTail().catch((error: unknown) => {
      this.started = undefined;
      throw error;
    });
    return this.started;
  }

  private async startTail(): Promise<void> {
    this.recent.reset(await this.log.lastPosition());
    await this.notifications?.listen();
    this.tail = this.followLog();
  }

  private async followLog(): Promise<void> {
    for (;;) {
      // Checked and reset in one turn: a subscriber arriving after this starts a new reader.
      if (this.closing || this.subscriptions.size === 0) {
        this.started = undefined;
        this.recent.reset(this.head);
        return;
      }
      this.woken = false;
      let wait = this.options.pollIntervalMs;
      this.lastReadAt = Date.now();
      try {
        const entries = await this.log.entriesAfter(this.head, this.tailPageRows, EventLogLiveFeed.TAIL_PAGE.bytes);
        if (entries.length > 0) this.publish(entries);
        if (entries.length === this.tailPageRows) wait = 0;
        this.recovered();
      } catch (error) {
        wait = this.failed(error);
      }
      const lingering = this.woken && this.failuresInARow === 0 && wait > EventLogLiveFeed.LINGER_MS;
      if (!this.closing) await this.pause.for(lingering ? this.linger() : wait, !lingering);
    }
  }

  private linger(): number {
    const sinceRead = Date.now() - this.lastReadAt;
    return Math.max(EventLogLiveFeed.LINGER_MS, EventLogLiveFeed.MIN_READ_INTERVAL_MS - sinceRead);
  }

  private publish(entries: LiveFeedEntry[]): void {
    this.recent.append(entries);
    const perPartner = new Map<string, number>();
    for (const entry of entries) perPartner.set(entry.partnerId, (perPartner.get(entry.partnerId) ?? 0) + 1);
    for (const subscription of this.subscriptions) subscription.published(entries, perPartner);
  }

  private failed(error: unknown): number {
    this.failuresInARow++;
    if (this.failuresInARow === 1) {
      this.logger.warn(`Live feed paused: the event log cannot be read (${(error as Error).message})`);
    }
    return Math.min(EventLogLiveFeed.MAX_BACKOFF_MS, 100 * 2 ** (this.failuresInARow - 1));
  }

  private recovered(): void {
    if (this.failuresInARow > 0) this.logger.log('Live feed resumed: the event log can be read again');
    this.failuresInARow = 0;
  }
}
