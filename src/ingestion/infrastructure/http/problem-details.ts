import { HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { AccessError } from '../../../access/domain/access.errors';
import { IngestionError, InvalidBatchError } from '../../domain/ingestion.errors';
import { InvalidBodyEncodingError } from './invalid-body-encoding.error';
import { FieldError, RequestValidationError } from './request-validation.error';

/** RFC 9457 problem details; `errors` only for validation failures. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** What every 503 asks clients to wait before they retry (header `Retry-After`). */
export const RETRY_AFTER_SECONDS = '1';

const PROBLEM_TYPE_BASE = 'urn:problem-type:ingestion:';

const DOMAIN_STATUS: Record<string, number> = {
  'invalid-partner-id': HttpStatus.BAD_REQUEST,
  'invalid-payload': HttpStatus.BAD_REQUEST,
  'invalid-data-id': HttpStatus.BAD_REQUEST,
  'invalid-timestamp': HttpStatus.BAD_REQUEST,
  'unknown-cursor': HttpStatus.BAD_REQUEST,
  'payload-too-large': HttpStatus.PAYLOAD_TOO_LARGE,
  'data-not-found': HttpStatus.NOT_FOUND,
  'invalid-idempotency-key': HttpStatus.BAD_REQUEST,
  'idempotency-key-reused': HttpStatus.UNPROCESSABLE_ENTITY,
  'invalid-batch': HttpStatus.BAD_REQUEST,
  'storage-unavailable': HttpStatus.SERVICE_UNAVAILABLE,
  'storage-full': HttpStatus.INSUFFICIENT_STORAGE,
  'export-limit-reached': HttpStatus.SERVICE_UNAVAILABLE,
  'stream-unavailable': HttpStatus.SERVICE_UNAVAILABLE,
};

const ACCESS_STATUS: Record<string, number> = {
  unauthenticated: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  'rate-limited': HttpStatus.TOO_MANY_REQUESTS,
};

/** Statuses that ask the client to come back (header `Retry-After`). */
export function isRetryable(status: number): boolean {
  return status === HttpStatus.SERVICE_UNAVAILABLE || status === HttpStatus.INSUFFICIENT_STORAGE;
}

/**
 * Maps anything thrown while serving a request to a problem document. Unknown errors
 * become a 500 with a generic detail: no message, stack or SQL leaves the process.
 */
export function toProblemDetails(error: unknown): ProblemDetails {
  if (error instanceof InvalidBatchError) {
    return problem(HttpStatus.BAD_REQUEST, error.code, error.message, error.errors);
  }
  if (error instanceof IngestionError) {
    const status = DOMAIN_STATUS[error.code] ?? HttpStatus.BAD_REQUEST;
    // Errors about bad input name the field at fault; the others (not found) have none.
    return problem(
      status,
      error.code,
      error.message,
      error.field ? [{ field: error.field, message: error.message }] : undefined,
    );
  }
  if (error instanceof AccessError) {
    return problem(ACCESS_STATUS[error.code] ?? HttpStatus.BAD_REQUEST, error.code, error.message);
  }
  if (error instanceof RequestValidationError) {
    return problem(HttpStatus.BAD_REQUEST, 'validation-error', error.message, error.errors);
  }
  if (error instanceof InvalidBodyEncodingError) {
    return problem(HttpStatus.BAD_REQUEST, 'invalid-encoding', error.message);
  }
  if (error instanceof SyntaxError && (error as { statusCode?: number }).statusCode === 400) {
    return problem(HttpStatus.BAD_REQUEST, 'invalid-json', 'The request body is not valid JSON.');
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return problem(status, HTTP_PROBLEM_TYPES[status], status >= 500 ? genericDetail(status) : error.message);
  }
  return problem(HttpStatus.INTERNAL_SERVER_ERROR, undefined, genericDetail(HttpStatus.INTERNAL_SERVER_ERROR));
}

/** Fastify's body errors reach the filter as HttpExceptions (Nest maps them by status). */
const HTTP_PROBLEM_TYPES: Record<number, string> = {
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'body-too-large',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'unsupported-media-type',
};

/** A problem document: `type` from the code (`about:blank` without one), `title` from the status. */
export function problem(
  status: number,
  code: string | undefined,
  detail: string,
  errors?: FieldError[],
): ProblemDetails {
  const document: ProblemDetails = {
    type: code ? PROBLEM_TYPE_BASE + code : 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail,
  };
  if (errors && errors.length > 0) document.errors = errors;
  return document;
}

function genericDetail(status: number): string {
  return status === 503
    ? 'The service is not available right now; retry later.'
    : 'The server could not complete the request.';
}

/**
 * Sends a problem document as the response, with `Retry-After` when the client should come
 * back, and the Bearer challenge (RFC 6750) with a 401.
 */
export function sendProblem(reply: FastifyReply, document: ProblemDetails): void {
  if (isRetryable(document.status)) void reply.header('retry-after', RETRY_AFTER_SECONDS);
  if (document.status === HttpStatus.UNAUTHORIZED) void reply.header('www-authenticate', 'Bearer');
  void reply.status(document.status).header('content-type', PROBLEM_CONTENT_TYPE).send(document);
}
