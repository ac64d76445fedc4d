import { HttpStatus } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { FieldError } from './request-validation.error';

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

export const RETRY_AFTER_SECONDS = '1';

const PROBLEM_TYPE_BASE = 'urn:problem-type:ingestion:';

export function isRetryable(status: number): boolean {
  return status === HttpStatus.SERVICE_UNAVAILABLE || status === HttpStatus.INSUFFICIENT_STORAGE;
}

/** `type` from the code (`about:blank` without one), `title` from the status. */
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

/** With `Retry-After` when the client should come back, and the Bearer challenge (RFC 6750) with a 401. */
export function sendProblem(reply: FastifyReply, document: ProblemDetails): void {
  if (isRetryable(document.status)) void reply.header('retry-after', RETRY_AFTER_SECONDS);
  if (document.status === HttpStatus.UNAUTHORIZED) void reply.header('www-authenticate', 'Bearer');
  void reply.status(document.status).header('content-type', PROBLEM_CONTENT_TYPE).send(document);
}
