import { PinoLogger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, maxHeaderSize, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { problem, PROBLEM_CONTENT_TYPE, type ProblemDetails } from './problem-details';
import { API_RESPONSE_HEADERS } from './security-headers';

interface SocketRequest {
  id: string;
  response: ServerResponse;
}

/** Keep-alive carries several requests per connection, one after another: the latest is kept. */
const socketRequests = new WeakMap<Socket, SocketRequest>();

/** So that a client error that cuts a request short (a timeout, a bad chunk) answers with its id. */
export function rememberRequest(request: IncomingMessage, response: ServerResponse, id: string): void {
  socketRequests.set(request.socket, { id, response });
}

/** A raw response: no request reached Fastify, or the one that did is cut short. Info: the client is at fault. */
export function handleClientError(
  error: Error & { code?: string; reason?: unknown },
  socket: Socket,
  logger: () => Logger | undefined = () => PinoLogger.root,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const latest = socketRequests.get(socket);
  const inFlight = latest?.response.writableEnded === false ? latest : undefined;
  const requestId = inFlight?.id ?? randomUUID();
  const document = clientErrorProblem(error);
  if (socket.writable && !inFlight?.response.headersSent) socket.write(rawResponse(document, requestId));
  socket.destroy();
  logClientError(logger(), requestId, document.status, error.code ?? error.message);
}

export function logClientError(logger: Logger | undefined, reqId: string, status: number, code: string): void {
  logger?.info({ reqId, status, code }, `client error ${status} (${code})`);
}

function clientErrorProblem(error: Error & { code?: string; reason?: unknown }): ProblemDetails {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem(408, 'request-timeout', 'The request was not received in time.');
    case 'HPE_HEADER_OVERFLOW':
      return problem(
        431,
        'header-fields-too-large',
        `The request line and headers are larger than ${maxHeaderSize / 1024} KiB.`,
      );
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return problem(413, 'chunk-extensions-too-large', 'The chunk extensions of the body are too large.');
    default: {
      // llhttp's reasons are fixed texts ("Invalid character in chunk size"), never request bytes.
      const reason = typeof error.reason === 'string' ? `: ${error.reason.slice(0, 100)}` : '';
      return problem(400, 'malformed-request', `The request is not valid HTTP/1.1${reason}.`);
    }
  }
}

function rawResponse(document: ProblemDetails, requestId: string): string {
  const body = JSON.stringify(document);
  const headers = {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    connection: 'close',
    'x-request-id': requestId,
    ...API_RESPONSE_HEADERS,
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${document.status} ${STATUS_CODES[document.status]}\r\n${head.join('')}\r\n${body}`;
}
