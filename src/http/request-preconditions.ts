import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from 'node:http';
import { problem, type ProblemDetails, sendProblem } from './problem-details';

/** Node's own test (it answers those itself). */
const CONTINUE_EXPECTATION = /(?:^|\W)100-continue(?:$|\W)/i;

const CHARSET_PARAMETER = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;
const UTF8_LABELS = new Set(['utf-8', 'utf8']);

interface Refusal {
  problem: ProblemDetails;
  headers?: Record<string, string>;
}

/**
 * Refusals close the connection: a body left unread must not hold it. Host is required of HTTP/1.1 (RFC 9112 §3.2);
 * Node's own check, with its bare 400, is off in `createFastifyAdapter`.
 */
export function installRequestPreconditions(fastify: FastifyInstance): void {
  const server: Server = fastify.server;
  // Without a listener Node answers an unmet expectation itself; with one, Fastify gets it like any request.
  server.on('checkExpectation', (request, response) => server.emit('request', request, response));

  fastify.addHook('onRequest', (request, reply, done) => {
    const refusal = protocolRefusal(request);
    if (refusal) refuse(reply, refusal);
    else done();
  });
  fastify.addHook('preParsing', (request, reply, payload, done) => {
    const refusal = hasBody(request) ? bodyEncodingRefusal(request) : undefined;
    if (refusal) refuse(reply, refusal);
    else done(null, payload);
  });
}

function protocolRefusal(request: FastifyRequest): Refusal | undefined {
  if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
    return { problem: problem(400, 'missing-host', 'An HTTP/1.1 request must carry a Host header.') };
  }
  const expectation = request.headers.expect;
  if (expectation !== undefined && !CONTINUE_EXPECTATION.test(expectation)) {
    return { problem: problem(417, 'expectation-failed', 'The only expectation this service meets is 100-continue.') };
  }
  return undefined;
}

function bodyEncodingRefusal(request: FastifyRequest): Refusal | undefined {
  const charset = CHARSET_PARAMETER.exec(request.headers['content-type'] ?? '')?.[1].toLowerCase();
  if (charset !== undefined && !UTF8_LABELS.has(charset)) {
    return { problem: problem(415, 'unsupported-media-type', 'The request body must be UTF-8 (charset=utf-8).') };
  }
  const encoding = request.headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') {
    return {
      problem: problem(
        415,
        'unsupported-content-encoding',
        'The request body must not be compressed (Content-Encoding: identity).',
      ),
      headers: { 'accept-encoding': 'identity' },
    };
  }
  return undefined;
}

export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function refuse(reply: FastifyReply, { problem: document, headers = {} }: Refusal): void {
  sendProblem(reply.headers(headers).header('connection', 'close'), document);
}
