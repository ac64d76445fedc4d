import type { FastifyRequest } from 'fastify';

const CONNECTION_GONE = new Set(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * The client gave up (or was cut off for being too slow): nothing can be answered, and the server is not at fault.
 * A request read to its end never counts, so that a handler's own ECONNRESET (a database connection lost) stays a 500.
 */
export function isClientAbort(error: unknown, request: FastifyRequest): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_GONE.has(code) && !request.raw.complete;
}
