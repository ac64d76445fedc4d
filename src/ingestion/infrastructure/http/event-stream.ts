import { Readable } from 'node:stream';
import type { LiveFeedEntry, LiveFeedSubscription } from '../../application/ports/live-feed';

export const EVENT_STREAM_CONTENT_TYPE = 'text/event-stream; charset=utf-8';

/** What EventSource waits before it reconnects after the stream ended (its `retry:` field). */
const RECONNECT_DELAY_MS = 1000;

/** A client that reads nothing holds this much here, and one more page, besides its socket's buffer. */
const BUFFERED_BYTES = 64 * 1024;

const AUTHORIZATION_CHECK_INTERVAL_MS = 1000;

export interface EventStreamOptions {
  includePayload: boolean;
  heartbeatMs: number;
  /** Resolves false once the credential the stream was opened with is no longer valid (a revoked key). */
  stillAuthorized?: () => Promise<boolean>;
}

export class StreamLagError extends Error {
  constructor() {
    super('The client fell more than STREAM_MAX_LAG events behind');
  }
}

/** By a page's first entry: the clients that follow the live feed get the same pages, encoded once for all. */
const encodedPages = new WeakMap<LiveFeedEntry, Map<string, Buffer>>();

/**
 * The events of a page as bytes. A page is known by its first entry, its last position and its length
 * (with a partner filter too: a page of one partner as long as the unfiltered one is the same page).
 */
export function encodedPage(entries: readonly LiveFeedEntry[], includePayload: boolean): Buffer {
  const key = `${includePayload ? 'p' : ''}${entries.length}:${entries[entries.length - 1].position}`;
  let pages = encodedPages.get(entries[0]);
  let page = pages?.get(key);
  if (page === undefined) {
    let text = '';
    for (const entry of entries) text += eventFrame(entry, includePayload);
    page = Buffer.from(text);
    if (pages === undefined) encodedPages.set(entries[0], (pages = new Map()));
    pages.set(key, page);
  }
  return page;
}

function eventFrame(entry: LiveFeedEntry, includePayload: boolean): string {
  const payload = includePayload ? `,"payload":${oneLine(entry.payloadJson ?? 'null')}` : '';
  return (
    `event: data-ingested\nid: ${entry.id}\n` +
    `data: {"id":"${entry.id}","partner_id":${JSON.stringify(entry.partnerId)},"timestamp":"${entry.timestamp}"${payload}}\n\n`
  );
}

/** Stored payloads are compact JSON; a line break there could only be whitespace between tokens. */
function oneLine(json: string): string {
  return json.includes('\n') || json.includes('\r') ? json.replace(/[\r\n]/g, '') : json;
}

/**
 * The body of `GET /ingest/stream`: pulls the next entries only when the socket took the previous
 * ones, so a slow client costs a bounded buffer while the feed counts its lag (and ends it past the limit).
 */
export class EventStream extends Readable {
  private pumping = false;
  private finished = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly subscription: LiveFeedSubscription,
    private readonly options: EventStreamOptions,
  ) {
    super({ highWaterMark: BUFFERED_BYTES });
    this.push(`retry: ${RECONNECT_DELAY_MS}\n\n`);
    subscription.onEnd((reason) => (reason === 'lag' ? this.destroy(new StreamLagError()) : this.finish()));
    this.timers.push(setInterval(() => this.heartbeat(), options.heartbeatMs));
    if (options.stillAuthorized !== undefined) {
      const check = options.stillAuthorized;
      this.timers.push(
        setInterval(() => {
          void check().then(
            (authorized) => authorized || this.finish(),
            () => undefined,
          );
        }, AUTHORIZATION_CHECK_INTERVAL_MS),
      );
    }
  }

  override _read(): void {
    if (!this.pumping) void this.pump();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.stopTimers();
    this.subscription.close();
    callback(error);
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      for (;;) {
        const entries = await this.subscription.next();
        if (entries === null || this.finished || this.destroyed) return;
        if (!this.push(encodedPage(entries, this.options.includePayload))) return;
      }
    } catch (error) {
      this.destroy(error as Error);
    } finally {
      this.pumping = false;
    }
  }

  /** Only while nothing waits to be sent: a stalled client gets no pile of pings. */
  private heartbeat(): void {
    if (!this.finished && !this.destroyed && this.readableLength === 0) this.push(': ping\n\n');
  }

  /** Emits `finishing`: a client that stopped reading would never take the end, and its owner must cut it. */
  private finish(): void {
    if (this.finished || this.destroyed) return;
    this.finished = true;
    this.stopTimers();
    this.subscription.close();
    this.push(null);
    this.emit('finishing');
  }

  private stopTimers(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
  }
}
