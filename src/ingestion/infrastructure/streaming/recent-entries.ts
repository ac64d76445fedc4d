import type { LiveFeedEntry } from '../../application/ports/live-feed';

/** What an entry costs in memory besides its payload: ids, timestamp, object. */
const ENTRY_OVERHEAD_BYTES = 200;

/**
 * The newest entries of the event log, bounded in count and bytes: every entry after `floor` up
 * to `head` is here, in log order, shared by every client of the instance.
 */
export class RecentEntries {
  private entries: LiveFeedEntry[] = [];
  private first = 0;
  private bytes = 0;
  private floor = 0;
  private last = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get head(): number {
    return this.last;
  }

  reset(head: number): void {
    this.entries = [];
    this.first = 0;
    this.bytes = 0;
    this.floor = head;
    this.last = head;
  }

  append(entries: readonly LiveFeedEntry[]): void {
    for (const entry of entries) {
      this.entries.push(entry);
      this.bytes += sizeOf(entry);
      this.last = entry.position;
    }
    while (this.entries.length - this.first > 1 && (this.count > this.maxEntries || this.bytes > this.maxBytes)) {
      const evicted = this.entries[this.first++];
      this.bytes -= sizeOf(evicted);
      this.floor = evicted.position;
    }
    if (this.first > this.maxEntries) {
      this.entries = this.entries.slice(this.first);
      this.first = 0;
    }
  }

  /**
   * Entries after `cursor` of one partner or all, up to a page; `scannedTo` is how far they were
   * looked at. Undefined when some entries after `cursor` are no longer held.
   */
  after(
    cursor: number,
    partnerId: string | undefined,
    page: { rows: number; bytes: number },
  ): { entries: LiveFeedEntry[]; scannedTo: number } | undefined {
    if (cursor < this.floor) return undefined;
    const found: LiveFeedEntry[] = [];
    let bytes = 0;
    for (let index = this.indexAfter(cursor); index < this.entries.length; index++) {
      const entry = this.entries[index];
      if (partnerId !== undefined && entry.partnerId !== partnerId) continue;
      found.push(entry);
      bytes += entry.payloadJson?.length ?? 0;
      if (found.length >= page.rows || bytes >= page.bytes) return { entries: found, scannedTo: entry.position };
    }
    return { entries: found, scannedTo: Math.max(cursor, this.last) };
  }

  private get count(): number {
    return this.entries.length - this.first;
  }

  private indexAfter(cursor: number): number {
    let low = this.first;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.entries[middle].position <= cursor) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

function sizeOf(entry: LiveFeedEntry): number {
  return ENTRY_OVERHEAD_BYTES + (entry.payloadJson?.length ?? 0);
}
