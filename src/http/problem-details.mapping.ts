import { HttpException, HttpStatus } from '@nestjs/common';
import { AccessError } from '../access/domain/access.errors';
import { IngestionError, InvalidBatchError } from '../ingestion/domain/ingestion.errors';
import { InvalidBodyEncodingError } from './invalid-body-encoding.error';
import { problem, type ProblemDetails } from './problem-details';
import { RequestValidationError } from './request-validation.error';

/** The status of each domain error code, for both contexts; a code missing here is a 400. */
const STATUS_OF_CODE: Readonly<Record<string, HttpStatus>> = {
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

  unauthenticated: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  'rate-limited': HttpStatus.TOO_MANY_REQUESTS,
};

/** Fastify's body errors reach the filter as HttpExceptions (Nest maps them by status). */
const HTTP_PROBLEM_TYPES: Readonly<Record<number, string>> = {
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'body-too-large',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'unsupported-media-type',
};

/** Unknown errors become a 500 with a generic detail: no message, stack or SQL leaves the process. */
export function toProblemDetails(error: unknown): ProblemDetails {
  if (error instanceof InvalidBatchError) {
    return problem(HttpStatus.BAD_REQUEST, error.code, error.message, error.errors);
  }
  if (error instanceof IngestionError) {
    return problem(
      statusOf(error.code),
      error.code,
      error.message,
      error.field ? [{ field: error.field, message: error.message }] : undefined,
    );
  }
  if (error instanceof AccessError) {
    return problem(statusOf(error.code), error.code, error.message);
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

function statusOf(code: string): HttpStatus {
  return STATUS_OF_CODE[code] ?? HttpStatus.BAD_REQUEST;
}

function genericDetail(status: number): string {
  return status === 503
    ? 'The service is not available right now; retry later.'
    : 'The server could not complete the request.';
}
