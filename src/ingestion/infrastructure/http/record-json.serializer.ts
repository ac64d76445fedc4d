import { Readable } from 'node:stream';
import type { DataListItem, DataListView } from '../../application/views/data-list.view';

export const NDJSON = 'application/x-ndjson';
export const NDJSON_CONTENT_TYPE = `${NDJSON}; charset=utf-8`;
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export type DataListFormat = 'json' | 'ndjson';

export function negotiateListFormat(accept: string | undefined): DataListFormat {
  return accept !== undefined && accept.includes(NDJSON) ? 'ndjson' : 'json';
}

/**
 * Rows are spliced, not re-encoded: ids, partner ids and timestamps hold no character JSON escapes, and the payload
 * column is serialised JSON. Each chunk is read in a later turn: better-sqlite3 answers synchronously, so an export
 * to a fast client would otherwise hold every other request until its last row.
 */
export class DataListStream extends Readable {
  private readonly chunks: AsyncIterator<DataListItem[]>;
  private stallTimer?: NodeJS.Timeout;
  private wroteFirstChunk = false;
  private stalledReader = false;

  constructor(
    private readonly view: DataListView,
    private readonly format: DataListFormat,
    private readonly stallTimeoutMs: number,
  ) {
    super();
    this.chunks = view.chunks[Symbol.asyncIterator]();
    this.armStallTimer();
  }

  get stalled(): boolean {
    return this.stalledReader;
  }

  override _read(): void {
    this.disarmStallTimer();
    inNextTurn(() => this.pushNextChunk());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.disarmStallTimer();
    const closing = this.chunks.return?.();
    if (closing === undefined) callback(error);
    else
      closing.then(
        () => callback(error),
        () => callback(error),
      );
  }

  private async pushNextChunk(): Promise<void> {
    if (this.destroyed) return;
    let next: IteratorResult<DataListItem[]>;
    try {
      next = await this.chunks.next();
    } catch (error) {
      this.destroy(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (this.destroyed) return;
    if (next.done) {
      if (this.format === 'json') this.push(this.wroteFirstChunk ? ']' : '[]');
      this.push(null);
      return;
    }
    this.armStallTimer();
    this.push(this.render(next.value));
  }

  private render(rows: DataListItem[]): string {
    const { includePayload } = this.view;
    if (this.format === 'ndjson') return rows.map((row) => recordJson(row, includePayload) + '\n').join('');
    const text = rows.map((row) => recordJson(row, includePayload)).join(',');
    const separator = this.wroteFirstChunk ? ',' : '[';
    this.wroteFirstChunk = true;
    return separator + text;
  }

  private armStallTimer(): void {
    this.disarmStallTimer();
    this.stallTimer = setTimeout(() => {
      this.stalledReader = true;
      this.destroy(new Error(`The client read nothing for ${this.stallTimeoutMs} ms.`));
    }, this.stallTimeoutMs).unref();
  }

  private disarmStallTimer(): void {
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }
}

/** How long one list's step may keep the others waiting (a slow FETCH, say) before the next starts. */
const MAX_STEP_WAIT_MS = 50;
const waitingSteps: Array<() => Promise<void>> = [];

/** One queue for all lists: however many exports stream, together they hold the event loop for one chunk at a time. */
function inNextTurn(step: () => Promise<void>): void {
  waitingSteps.push(step);
  if (waitingSteps.length === 1) setImmediate(takeTurn);
}

function takeTurn(): void {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, MAX_STEP_WAIT_MS)));
  const next = () => {
    clearTimeout(timer);
    waitingSteps.shift();
    if (waitingSteps.length > 0) setImmediate(takeTurn);
  };
  void Promise.race([waitingSteps[0](), waited]).then(next, next);
}

export function recordJson(row: DataListItem, includePayload = true): string {
  const summary = `{"id":"${row.id}","partner_id":"${row.partnerId}","timestamp":"${row.timestamp}"`;
  return includePayload && row.payloadJson !== undefined ? `${summary},"payload":${row.payloadJson}}` : summary + '}';
}
