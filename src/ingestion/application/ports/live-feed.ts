/** One committed record as the live feed carries it, at its place in the event log. */
export interface LiveFeedEntry {
  readonly position: number;
  readonly id: string;
  readonly partnerId: string;
  readonly timestamp: string;
  /** The stored payload text; only for subscriptions that include payloads. */
  readonly payloadJson?: string;
}

export interface LiveFeedFilter {
  partnerId?: string;
  /** The log position to follow on from; undefined: from the records committed after subscribing. */
  afterPosition?: number;
  includePayload: boolean;
}

export type LiveFeedEnd = 'closed' | 'lag' | 'shutdown';

/** One client's place in the feed; the feed keeps no entries for it beyond what `next` returns. */
export interface LiveFeedSubscription {
  /** The next entries after the last ones returned, in log order, waiting for new ones when there are none; null once ended. */
  next(): Promise<readonly LiveFeedEntry[] | null>;
  /** Called once when the feed ends the subscription (never for `close`). */
  onEnd(listener: (reason: LiveFeedEnd) => void): void;
  close(): void;
}

/** Port to the event log as a live feed: catch-up from any position, then every new record, from every instance. */
export abstract class LiveFeed {
  /** The log position and partner of a record; null when no record has that id. */
  abstract locate(id: string): Promise<{ position: number; partnerId: string } | null>;

  /** Throws `StreamUnavailableError` when the instance serves its most streams, or is shutting down. */
  abstract subscribe(filter: LiveFeedFilter): Promise<LiveFeedSubscription>;

  /** Records were committed here: read them now rather than at the next poll. */
  abstract wake(): void;
}
