import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Logger } from 'pino';
import { handleClientError, rememberRequest } from './client-error.handler';

/** A socket that records what is written to it, writable or not. */
function fakeSocket({ writable = true }: { writable?: boolean } = {}) {
  const socket = new Socket();
  const written: string[] = [];
  Object.defineProperty(socket, 'writable', { value: writable });
  jest.spyOn(socket, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
  const destroy = jest.spyOn(socket, 'destroy');
  return { socket, written, destroy };
}

function parserError(code: string, reason?: string): Error & { code: string; reason?: string } {
  return Object.assign(new Error(`Parse Error: ${reason ?? code}`), { code, reason });
}

/** A request on `socket` whose response has sent its headers or not, or has ended. */
function requestOn(socket: Socket, id: string, { headersSent = false, ended = false } = {}): void {
  const request = new IncomingMessage(socket);
  const response = new ServerResponse(request);
  Object.defineProperty(response, 'headersSent', { value: headersSent });
  Object.defineProperty(response, 'writableEnded', { value: ended });
  rememberRequest(request, response, id);
}

describe('handleClientError', () => {
  const logged: Array<{ fields: Record<string, unknown>; message: string }> = [];
  const logger = () =>
    ({
      info: (fields: Record<string, unknown>, message: string) => logged.push({ fields, message }),
    }) as unknown as Logger;

  beforeEach(() => (logged.length = 0));

  it('writes a whole problem+json response with a new request id, closes the socket and logs at info', () => {
    const { socket, written, destroy } = fakeSocket();

    handleClientError(parserError('HPE_INVALID_CHUNK_SIZE', 'Invalid character in chunk size'), socket, logger);

    expect(written).toHaveLength(1);
    const [head, body] = written[0].split('\r\n\r\n');
    expect(head.split('\r\n')).toEqual([
      'HTTP/1.1 400 Bad Request',
      'content-type: application/problem+json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      'connection: close',
      expect.stringMatching(/^x-request-id: [0-9a-f-]{36}$/),
      'x-content-type-options: nosniff',
      'cache-control: no-store',
    ]);
    expect(JSON.parse(body)).toEqual({
      type: 'urn:problem-type:ingestion:malformed-request',
      title: 'Bad Request',
      status: 400,
      detail: 'The request is not valid HTTP/1.1: Invalid character in chunk size.',
    });
    expect(destroy).toHaveBeenCalled();
    expect(logged).toEqual([
      {
        fields: { reqId: expect.any(String), status: 400, code: 'HPE_INVALID_CHUNK_SIZE' },
        message: 'client error 400 (HPE_INVALID_CHUNK_SIZE)',
      },
    ]);
  });

  it.each([
    ['ERR_HTTP_REQUEST_TIMEOUT', 408],
    ['HPE_HEADER_OVERFLOW', 431],
    ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 413],
    ['HPE_INVALID_METHOD', 400],
  ])('answers %s with %d', (code, status) => {
    const { socket, written } = fakeSocket();

    handleClientError(parserError(code), socket, logger);

    expect(written[0]).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
  });

  it('answers with the id of the request in progress', () => {
    const { socket, written } = fakeSocket();
    requestOn(socket, 'req-42');

    handleClientError(parserError('ERR_HTTP_REQUEST_TIMEOUT'), socket, logger);

    expect(written[0]).toContain('\r\nx-request-id: req-42\r\n');
    expect(logged[0].fields.reqId).toBe('req-42');
  });

  it('answers with a new id once the previous request of a keep-alive connection has ended', () => {
    const { socket, written } = fakeSocket();
    requestOn(socket, 'req-41', { headersSent: true, ended: true });

    handleClientError(parserError('ERR_HTTP_REQUEST_TIMEOUT'), socket, logger);

    expect(written[0]).toMatch(/^HTTP\/1\.1 408 /);
    expect(written[0]).not.toContain('req-41');
  });

  it('writes nothing once a response has started, and closes the socket', () => {
    const { socket, written, destroy } = fakeSocket();
    requestOn(socket, 'req-43', { headersSent: true });

    handleClientError(parserError('HPE_INVALID_CHUNK_SIZE'), socket, logger);

    expect(written).toEqual([]);
    expect(destroy).toHaveBeenCalled();
  });

  it('writes nothing to a socket that is no longer writable', () => {
    const { socket, written, destroy } = fakeSocket({ writable: false });

    handleClientError(parserError('ERR_HTTP_REQUEST_TIMEOUT'), socket, logger);

    expect(written).toEqual([]);
    expect(destroy).toHaveBeenCalled();
  });

  it('does nothing, and logs nothing, when the client reset the connection', () => {
    const { socket, written, destroy } = fakeSocket();

    handleClientError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), socket, logger);

    expect(written).toEqual([]);
    expect(destroy).not.toHaveBeenCalled();
    expect(logged).toEqual([]);
  });
});
