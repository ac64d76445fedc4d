import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { problem, PROBLEM_CONTENT_TYPE } from '../ingestion/infrastructure/http/problem-details';
import { API_RESPONSE_HEADERS } from './security-headers';

/**
 * Fastify's `frameworkErrors`: the errors its router raises before a request reaches any hook
 * (a path that is not valid percent-encoding), which it would otherwise answer with its own
 * JSON and no X-Request-Id. No hook runs for these, the request log's neither: logged here,
 * at info like the HTTP parser's client errors.
 */
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
  void reply
    .status(document.status)
    .headers({ 'x-request-id': request.id, ...API_RESPONSE_HEADERS })
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(document);
  logger()?.info(
    { reqId: request.id, status: document.status, code: error.code },
    `client error ${document.status} (${error.code})`,
  );
}
