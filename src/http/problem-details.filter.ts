import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessRefusalAudit } from '../access/application/access-refusal.audit';
import { AccessRefusedError } from '../access/domain/access.errors';
import { requestPrincipal } from '../access/infrastructure/http/request-principal';
import {
  ExportLimitReachedError,
  StorageFullError,
  StorageUnavailableError,
  StreamUnavailableError,
} from '../ingestion/domain/ingestion.errors';
import { isClientAbort } from './client-abort';
import { sendProblem } from './problem-details';
import { toProblemDetails } from './problem-details.mapping';

/**
 * Fastify's own errors, raised before a route runs (body parsing, limits, media type), reach it too: Nest installs
 * Fastify's error handler and routes them through the global filters. Payloads are never logged.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  constructor(private readonly accessAudit: AccessRefusalAudit) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (isClientAbort(error, request)) {
      this.logger.log(
        `request ${request.id} ${request.method} ${request.routeOptions?.url ?? request.url}: the connection closed before the whole request was read`,
      );
      return;
    }
    const problem = toProblemDetails(error);
    if (error instanceof AccessRefusedError) {
      this.accessAudit.refused(
        error,
        { id: request.id, method: request.method, route: request.routeOptions?.url ?? request.url },
        requestPrincipal(request),
      );
    } else if (error instanceof StorageUnavailableError || error instanceof StorageFullError) {
      const state = error instanceof StorageFullError ? 'database full' : 'database unavailable';
      this.logger.warn(
        `request ${request.id} ${request.method} ${request.routeOptions?.url ?? request.url}: ${state} (${error.reason})`,
      );
    } else if (problem.status >= 500 && !isLoadRefusal(error)) {
      this.logger.error(
        `request ${request.id} ${request.method} ${request.routeOptions?.url ?? request.url} failed`,
        error instanceof Error ? error.stack : String(error),
      );
    }
    if (reply.sent || reply.raw.headersSent) {
      // A streamed body already started: all that is left is to cut the connection.
      reply.raw.destroy(error instanceof Error ? error : undefined);
      return;
    }
    sendProblem(reply, problem);
  }
}

/** 503s that refuse work to keep the service up, not failures: the request's warn line says enough. */
function isLoadRefusal(error: unknown): boolean {
  return (
    (error instanceof HttpException && error.getStatus() === 503) ||
    error instanceof ExportLimitReachedError ||
    error instanceof StreamUnavailableError
  );
}
