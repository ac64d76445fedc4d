import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { problem, sendProblem } from './problem-details';
import { logClientError } from './client-error.handler';
import { API_RESPONSE_HEADERS } from './security-headers';

/** Router errors come before any hook: Fastify's answer would lack X-Request-Id, and the request log misses them. */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: () => Logger | undefined = () => PinoLogger.root,
): void {
  const document =
    error.code === 'FST_ERR_BAD_URL'
      ? problem(400, 'invalid-url', 'The request path is not valid percent-encoding.')
      : problem(error.statusCode ?? 500, undefined, 'The request could not be routed.');
  sendProblem(reply.headers({ 'x-request-id': request.id, ...API_RESPONSE_HEADERS }), document);
  logClientError(logger(), request.id, document.status, error.code);
}
