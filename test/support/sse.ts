import { ClientRequest, IncomingHttpHeaders, IncomingMessage, request } from 'node:http';
import { connect, Socket } from 'node:net';
import type { InjectResponse } from './http';

/** One dispatched event, as an EventSource would see it. */
export interface SseEvent {
  /** The block's `event:` field, `message` without one. */
  event: string;
  /** The last event ID once the block was dispatched (EventSource's `lastEventId`). */
  id: string;
  data: string;
  /** The block's text as received, its blank line included. */
  raw: string;
}

/** How a stream ended: the server finished the response (`end`), the connection was cut (`reset`), or the test closed it (`closed`). */
export type StreamEnd = 'end' | 'reset' | 'closed';

const LINE_END = /\r\n|\r|\n/g;

/** An `text/event-stream` parser per the HTML standard (§9.2.6), fed text as it arrives. */
export class SseParser {
  readonly events: SseEvent[] = [];
  /** Comment lines without the colon and one leading space (`: ping` → `ping`). */
  readonly comments: string[] = [];
  /** The last valid `retry:` value. */
  retry?: number;
  private pending = '';
  private block = '';
  private dataBuffer = '';
  private eventType = '';
  private lastEventId = '';
  private started = false;

  push(chunk: string): void {
    if (chunk === '') return;
    if (!this.started) {
      this.started = true;
      if (chunk.startsWith('\uFEFF')) chunk = chunk.slice(1);
    }
    const text = this.pending + chunk;
    let start = 0;
    LINE_END.lastIndex = 0;
    for (let match = LINE_END.exec(text); match !== null; match = LINE_END.exec(text)) {
      // A CR ending the text may be the first half of a CRLF.
      if (match[0] === '\r' && match.index === text.length - 1) break;
      const end = match.index + match[0].length;
      this.line(text.slice(start, match.index), text.slice(start, end));
      start = end;
    }
    this.pending = text.slice(start);
  }

  private line(line: string, withEnd: string): void {
    this.block += withEnd;
    if (line === '') {
      this.dispatch();
      this.block = '';
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).replace(/^ /, ''));
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') this.eventType = value;
    else if (field === 'data') this.dataBuffer += `${value}\n`;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^[0-9]+$/.test(value)) this.retry = Number(value);
  }

  private dispatch(): void {
    if (this.dataBuffer === '') {
      this.eventType = '';
      return;
    }
    this.events.push({
      event: this.eventType === '' ? 'message' : this.eventType,
      id: this.lastEventId,
      data: this.dataBuffer.slice(0, -1),
      raw: this.block,
    });
    this.dataBuffer = '';
    this.eventType = '';
  }
}

/** Everything still open, closed by `closeAllStreams` (an afterEach), so that no test leaves a socket behind. */
const openStreams = new Set<{ close(): Promise<void> }>();

export async function closeAllStreams(): Promise<void> {
  await Promise.all([...openStreams].map((stream) => stream.close()));
}

/** A GET of an event stream over node:http (a real connection: inject cannot stream), read as it arrives. */
export class SseClient {
  readonly parser = new SseParser();
  /** The body as received. */
  text = '';
  /** Set once the stream ended, with `endedAt` (ms since the epoch). */
  end?: StreamEnd;
  endedAt?: number;
  readonly ended: Promise<StreamEnd>;
  readonly ids = new Set<string>();
  private closing = false;
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly request: ClientRequest,
    private readonly response: IncomingMessage,
  ) {
    openStreams.add(this);
    request.on('error', () => undefined); // seen as the end of the response
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      this.text += chunk;
      const before = this.parser.events.length;
      this.parser.push(chunk);
      for (const event of this.parser.events.slice(before)) this.ids.add(event.id);
      this.notify();
    });
    this.ended = new Promise((resolve) => {
      const finish = (how: StreamEnd) => {
        if (this.end !== undefined) return;
        this.end = this.closing ? 'closed' : how;
        this.endedAt = Date.now();
        openStreams.delete(this);
        this.notify();
        resolve(this.end);
      };
      response.once('end', () => finish(response.complete ? 'end' : 'reset'));
      response.once('error', () => finish('reset'));
      response.once('close', () => finish(response.complete ? 'end' : 'reset'));
      request.once('close', () => finish(response.complete ? 'end' : 'reset'));
    });
  }

  /** Sends the GET and resolves once the response head arrived (any status). */
  static open(url: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const sent = request(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } });
      const timer = setTimeout(() => {
        sent.destroy();
        reject(new Error(`GET ${url}: no response head within ${timeoutMs} ms`));
      }, timeoutMs);
      sent.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      sent.once('response', (response) => {
        clearTimeout(timer);
        resolve(new SseClient(sent, response));
      });
      sent.end();
    });
  }

  get status(): number {
    return this.response.statusCode!;
  }

  get headers(): IncomingHttpHeaders {
    return this.response.headers;
  }

  get events(): SseEvent[] {
    return this.parser.events;
  }

  get comments(): string[] {
    return this.parser.comments;
  }

  get lastEvent(): SseEvent | undefined {
    return this.parser.events[this.parser.events.length - 1];
  }

  /** Resolves with every event so far once there are at least `count`; rejects when the stream ends first. */
  async waitForEvents(count: number, timeoutMs = 5000): Promise<SseEvent[]> {
    await this.until(() => this.events.length >= count, `${count} events`, timeoutMs);
    return this.events.slice();
  }

  /** Resolves once an event with this id arrived. */
  async waitForEventId(id: string, timeoutMs = 5000): Promise<SseEvent[]> {
    await this.until(() => this.ids.has(id), `the event ${id}`, timeoutMs);
    return this.events.slice();
  }

  async waitForComment(text = 'ping', timeoutMs = 5000): Promise<void> {
    await this.until(() => this.comments.includes(text), `a comment "${text}"`, timeoutMs);
  }

  /** How the stream ended, or undefined if it is still open after `timeoutMs`. */
  async endedWithin(timeoutMs: number): Promise<StreamEnd | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
    try {
      return await Promise.race([this.ended, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The whole response as `app.inject` would answer it, for `expectProblem`. A 200 (a stream) is closed at once and
   * answered with what arrived so far.
   */
  async whole(timeoutMs = 5000): Promise<InjectResponse> {
    if (this.status === 200) await this.close();
    else if ((await this.endedWithin(timeoutMs)) === undefined) {
      await this.close();
      throw new Error(`a ${this.status} response not ended within ${timeoutMs} ms: ${this.text.slice(0, 200)}`);
    }
    const body = this.text;
    return {
      statusCode: this.status,
      headers: this.headers,
      body,
      json: () => JSON.parse(body) as unknown,
    } as unknown as InjectResponse;
  }

  async close(): Promise<void> {
    if (this.end === undefined) {
      this.closing = true;
      this.request.destroy();
    }
    await this.ended;
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private until(condition: () => boolean, description: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}: ${this.summary()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      const check = () => {
        if (condition()) {
          done();
          resolve();
        } else if (this.end !== undefined) {
          done();
          reject(new Error(`the stream ended (${this.end}) before ${description}: ${this.summary()}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  private summary(): string {
    const last = this.lastEvent;
    return (
      `status ${this.status}, ${this.events.length} events (last ${last?.id ?? 'none'}), ` +
      `${this.comments.length} comments, ${this.end === undefined ? 'open' : `ended: ${this.end}`}`
    );
  }
}

/** How a stalled reader's connection ended once it read again; `open` when it had not ended in time. */
export type StalledEnd = 'end' | 'reset' | 'open';

/**
 * A client that sends the GET, reads the response head and then stops reading: what the server writes piles up in the
 * socket buffers (node:net cannot shrink SO_RCVBUF: about 4 MB fit on loopback before the server's writes back up).
 * While paused, the socket reports no close: only `drain` tells whether the server closed it.
 */
export class StalledReader {
  status = 0;
  headers: Record<string, string> = {};
  private head = Buffer.alloc(0);
  private readonly chunks: Buffer[] = [];
  private receivedBytes = 0;
  private keep = true;
  private closedAs?: 'end' | 'reset';
  private readonly closed: Promise<'end' | 'reset'>;

  private constructor(private readonly socket: Socket) {
    openStreams.add(this);
    let sawEnd = false;
    socket.on('end', () => (sawEnd = true));
    socket.on('error', () => undefined); // seen as the close
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closedAs = sawEnd ? 'end' : 'reset';
        openStreams.delete(this);
        resolve(this.closedAs);
      }),
    );
  }

  /** Sends `GET <path>` to `baseUrl` and stops reading once the response head arrived. */
  static open(baseUrl: string, path: string, headers: Record<string, string> = {}, timeoutMs = 5000) {
    const { hostname, port } = new URL(baseUrl);
    return new Promise<StalledReader>((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      const reader = new StalledReader(socket);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`GET ${path}: no response head within ${timeoutMs} ms`));
      }, timeoutMs);
      const onData = (chunk: Buffer) => {
        reader.head = Buffer.concat([reader.head, chunk]);
        const headEnd = reader.head.indexOf('\r\n\r\n');
        if (headEnd < 0) return;
        socket.pause();
        socket.off('data', onData);
        clearTimeout(timer);
        reader.readHead(headEnd);
        resolve(reader);
      };
      socket.on('data', onData);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      const lines = [
        `GET ${path} HTTP/1.1`,
        `Host: ${hostname}:${port}`,
        'Accept: text/event-stream',
        ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  }

  get bytesReceived(): number {
    return this.receivedBytes;
  }

  /**
   * Reads again, keeping what arrives (or only counting it: `keep: false`), and answers how the connection ended: the
   * server closed it (`end`), it was reset (`reset`), or it was still open after `timeoutMs` (`open`).
   */
  async drain(timeoutMs = 5000, { keep = true } = {}): Promise<StalledEnd> {
    this.keep = keep;
    this.socket.on('data', (chunk: Buffer) => {
      this.receivedBytes += chunk.length;
      if (this.keep) this.chunks.push(chunk);
    });
    this.socket.resume();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'open'>((resolve) => (timer = setTimeout(() => resolve('open'), timeoutMs)));
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The event-stream text received (the response body, de-chunked), a cut-off last chunk included. */
  body(): string {
    const raw = Buffer.concat([this.head.subarray(this.head.indexOf('\r\n\r\n') + 4), ...this.chunks]);
    const chunked = /(^|,)\s*chunked\s*$/i.test(this.headers['transfer-encoding'] ?? '');
    return (chunked ? dechunk(raw) : raw).toString('utf8');
  }

  /** The complete events in what was received. */
  events(): SseEvent[] {
    const parser = new SseParser();
    parser.push(this.body());
    return parser.events;
  }

  async close(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }

  private readHead(headEnd: number): void {
    const [statusLine, ...lines] = this.head.subarray(0, headEnd).toString('latin1').split('\r\n');
    this.status = Number(statusLine.split(' ')[1]);
    for (const line of lines) {
      const name = line.slice(0, line.indexOf(':')).trim().toLowerCase();
      this.headers[name] = line.slice(line.indexOf(':') + 1).trim();
    }
    this.receivedBytes = this.head.length;
  }
}

/** The data of a chunked body (RFC 9112 §7.1), up to where it was cut off. */
function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(raw.subarray(at, lineEnd).toString('latin1').split(';')[0], 16);
    if (!Number.isInteger(size) || size === 0) break;
    const start = lineEnd + 2;
    parts.push(raw.subarray(start, Math.min(start + size, raw.length)));
    if (raw.length < start + size + 2) break;
    at = start + size + 2;
  }
  return Buffer.concat(parts);
}
