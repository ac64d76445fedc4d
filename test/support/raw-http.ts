import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names in lower case; a repeated header's values joined with ', '. */
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  /** The first response the server wrote, or undefined when it wrote none. */
  response?: RawResponse;
  /** Everything the server wrote, as latin1. */
  received: string;
  /** Whether the server closed the connection before `waitMs` passed. */
  closed: boolean;
  /** From the connection to its close (or to `waitMs`). */
  elapsedMs: number;
}

/** A part of a raw request: bytes to write (a string is written as latin1), or a pause in ms. */
export type RawPart = string | Buffer | { pauseMs: number };

/** Starts the app's server on a free port of 127.0.0.1 and answers that port. */
export async function listenOnFreePort(app: NestFastifyApplication): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return (app.getHttpServer().address() as AddressInfo).port;
}

/**
 * Writes a request byte for byte on a new connection (so that it can be malformed, slow or
 * left unfinished) and collects what the server writes until it closes the connection or
 * `waitMs` has passed; the connection is then destroyed.
 */
export function rawExchange(port: number, parts: RawPart[], { waitMs = 3000 } = {}): Promise<RawExchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let finished = false;
    const finish = (closed: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      const text = received.toString('latin1');
      resolve({ response: parseResponse(received), received: text, closed, elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    socket.on('error', () => undefined); // seen as the close
    socket.on('close', () => finish(true));
    const write = async () => {
      for (const part of parts) {
        if (finished || socket.destroyed) return;
        if (typeof part === 'object' && 'pauseMs' in part) await new Promise((wake) => setTimeout(wake, part.pauseMs));
        else socket.write(typeof part === 'string' ? Buffer.from(part, 'latin1') : part);
      }
    };
    socket.on('connect', () => void write());
  });
}

function parseResponse(received: Buffer): RawResponse | undefined {
  const headerEnd = received.indexOf('\r\n\r\n');
  if (headerEnd < 0) return undefined;
  const [statusLine, ...lines] = received.subarray(0, headerEnd).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const name = line.slice(0, line.indexOf(':')).trim().toLowerCase();
    const value = line.slice(line.indexOf(':') + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  let body = received.subarray(headerEnd + 4);
  const length = Number(headers['content-length']);
  if (Number.isInteger(length)) body = body.subarray(0, length);
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') };
}

/** A request's head: request line, `Host`, the given headers, the blank line. */
export function requestHead(requestLine: string, headers: Record<string, string | number> = {}): string {
  const lines = [
    requestLine,
    'Host: 127.0.0.1',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}
