export interface LiveFeedEntry {
  readonly position: number;
  readonly id: string;
  readonly partnerId: string;
  readonly timestamp: string;
  readonly payloadJson?: string;
}

export interface LiveFeedFilter {
  partnerId?: string;
  /** Undefined: from the records committed after subscribing. */
  afterPosition?: number;
  includePayload: boolean;
}

export type LiveFeedEnd = 'closed' | 'lag' | 'shutdown';

export interface LiveFeedSubscription {
  /** Waits while there is nothing new; null once ended. */
  next(): Promise<readonly LiveFeedEntry[] | null>;
  onEnd(listener: (reason: LiveFeedEnd) => void): void;
  close(): void;
}

/** Port to the event log as a live feed: catch-up from any position, then every new record, from every instance. */
export abstract class LiveFeed {
  abstract locate(id: string): Promise<{ position: number; partnerId: string } | null>;

  abstract subscribe(filter: LiveFeedFilter): Promise<LiveFeedSubscription>;

  /** Records were committed here: read them now rather than at the next poll. */
  abstract wake(): void;
}
