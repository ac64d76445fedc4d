import type {
  LiveFeedEnd,
  LiveFeedEntry,
  LiveFeedFilter,
  LiveFeedSubscription,
} from '../../application/ports/live-feed';
import type { PrometheusLiveFeedMetrics } from '../metrics/prometheus-live-feed.metrics';
import { CLIENT_PAGE, type EventLogLiveFeed } from './event-log.live-feed';

/**
 * One client's cursor in the log. `lag` counts the entries of its filter published since it
 * subscribed and not yet handed to it; history it catches up on from before does not count.
 */
export class FeedSubscription implements LiveFeedSubscription {
  private cursor = 0;
  private liveFrom = 0;
  private lag = 0;
  private started = false;
  private ended?: LiveFeedEnd;
  private waiting?: () => void;
  private readonly endListeners: Array<(reason: LiveFeedEnd) => void> = [];

  constructor(
    private readonly feed: EventLogLiveFeed,
    private readonly filter: LiveFeedFilter,
    private readonly metrics: PrometheusLiveFeedMetrics,
  ) {}

  start(cursor: number, liveFrom: number): void {
    this.cursor = cursor;
    this.liveFrom = liveFrom;
    this.started = true;
  }

  async next(): Promise<readonly LiveFeedEntry[] | null> {
    for (;;) {
      if (this.ended !== undefined) return null;
      const recent = this.feed.recentAfter(this.cursor, this.filter);
      if (recent !== undefined) {
        this.cursor = recent.scannedTo;
        if (recent.entries.length > 0) return this.handOut(recent.entries);
        await new Promise<void>((resolve) => (this.waiting = resolve));
        continue;
      }
      const upTo = this.feed.head;
      const entries = await this.feed.catchUp({
        after: this.cursor,
        upTo,
        partnerId: this.filter.partnerId,
        includePayload: this.filter.includePayload,
        ...CLIENT_PAGE,
      });
      if (this.ended !== undefined) return null;
      if (entries.length === 0) {
        this.cursor = upTo;
        continue;
      }
      this.cursor = entries[entries.length - 1].position;
      return this.handOut(entries);
    }
  }

  /** The feed read new entries: count those this client now lags by, and wake it if it waits. */
  published(entries: readonly LiveFeedEntry[], perPartner: ReadonlyMap<string, number>): void {
    if (!this.started || this.ended !== undefined) return;
    const partnerId = this.filter.partnerId;
    const behind =
      this.cursor < entries[0].position
        ? partnerId === undefined
          ? entries.length
          : (perPartner.get(partnerId) ?? 0)
        : entries.filter((entry) => entry.position > this.cursor && this.matches(entry)).length;
    this.lag += behind;
    const waiting = this.waiting;
    // A client waiting for entries takes these at once: only one still busy with earlier ones can be behind.
    if (waiting === undefined) {
      if (this.lag > this.feed.maxLag) this.end('lag');
      return;
    }
    // Waiting means it has seen everything up to the previous head: with nothing new for it, it has seen this page too.
    if (behind === 0) this.cursor = Math.max(this.cursor, entries[entries.length - 1].position);
    else this.wakeUp(waiting);
  }

  onEnd(listener: (reason: LiveFeedEnd) => void): void {
    this.endListeners.push(listener);
  }

  end(reason: Exclude<LiveFeedEnd, 'closed'>): void {
    if (this.ended !== undefined) return;
    this.ended = reason;
    this.feed.remove(this);
    this.metrics.ended(reason);
    if (this.waiting !== undefined) this.wakeUp(this.waiting);
    for (const listener of this.endListeners) listener(reason);
  }

  close(): void {
    if (this.ended !== undefined) return;
    this.ended = 'closed';
    this.feed.remove(this);
    if (this.waiting !== undefined) this.wakeUp(this.waiting);
  }

  private wakeUp(waiting: () => void): void {
    this.waiting = undefined;
    waiting();
  }

  private handOut(entries: readonly LiveFeedEntry[]): readonly LiveFeedEntry[] {
    let live = 0;
    for (const entry of entries) if (entry.position > this.liveFrom) live++;
    this.lag -= live;
    this.metrics.eventsSent(entries.length);
    return entries;
  }

  private matches(entry: LiveFeedEntry): boolean {
    return this.filter.partnerId === undefined || entry.partnerId === this.filter.partnerId;
  }
}
