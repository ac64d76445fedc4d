import type { DataSource } from 'typeorm';
import type { LiveFeedEntry } from '../../src/ingestion/application/ports/live-feed';
import {
  EventLogEntry,
  EventLogStore,
  FeedPageRequest,
} from '../../src/ingestion/infrastructure/persistence/event-log.store';

/** The event log's reads for the live feed, over an array; `reads` counts the feed's catch-up pages. */
export class InMemoryEventLogStore extends EventLogStore {
  readonly entries: EventLogEntry[] = [];
  catchUpReads = 0;

  constructor() {
    super({ options: { type: 'better-sqlite3' } } as DataSource);
  }

  append(partnerId: string, count = 1, payloadJson = '{}'): EventLogEntry[] {
    const added: EventLogEntry[] = [];
    for (let i = 0; i < count; i++) {
      const position = this.entries.length + 1;
      const entry = {
        position,
        id: `id-${position}`,
        partnerId,
        timestamp: new Date(Date.UTC(2026, 11, 2, 10, 0, 0, position)).toISOString(),
        payloadJson,
      };
      this.entries.push(entry);
      added.push(entry);
    }
    return added;
  }

  override lastPosition(): Promise<number> {
    return Promise.resolve(this.entries.length);
  }

  override locate(id: string): Promise<{ position: number; partnerId: string } | null> {
    const entry = this.entries.find((candidate) => candidate.id === id);
    return Promise.resolve(entry === undefined ? null : { position: entry.position, partnerId: entry.partnerId });
  }

  override entriesAfter(position: number, maxRows: number): Promise<EventLogEntry[]> {
    return Promise.resolve(this.entries.slice(position, position + maxRows));
  }

  override feedPage(request: FeedPageRequest): Promise<LiveFeedEntry[]> {
    this.catchUpReads++;
    const page = this.entries
      .slice(request.after, request.upTo)
      .filter((entry) => request.partnerId === undefined || entry.partnerId === request.partnerId)
      .slice(0, request.rows)
      .map((entry) => (request.includePayload ? { ...entry } : { ...entry, payloadJson: undefined }));
    return Promise.resolve(page);
  }
}
