import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiResponse, getSchemaPath, type HeaderObject } from '@nestjs/swagger';
import { ProblemDetailsSchema } from './problem-details.schema';

export const PROBLEM_JSON = 'application/problem+json';

export const API_KEY_SECURITY = 'api-key';

/** Sent with every 503, 507 (the problem filter) and 429 (RateLimitGuard). */
export const RETRY_AFTER_HEADER: HeaderObject = {
  description: 'Seconds to wait before retrying the same request.',
  required: true,
  schema: { type: 'integer', minimum: 0, example: 1 },
};

export const WWW_AUTHENTICATE_HEADER: HeaderObject = {
  description: 'The authentication scheme the route asks for: `Bearer` (send `Authorization: Bearer <key>`).',
  required: true,
  schema: { type: 'string', enum: ['Bearer'] },
};

/** IETF RateLimit draft, on every response to a request with an API key; `required`: the 429 always has them. */
export function rateLimitHeaders(required = false): Record<string, HeaderObject> {
  const integer = (example: number) => ({ type: 'integer' as const, minimum: 0, example });
  return {
    'RateLimit-Limit': {
      description: 'Requests the API key may make per window (RATE_LIMIT_BURST).',
      required,
      schema: integer(2000),
    },
    'RateLimit-Remaining': {
      description: 'Requests the API key has left in the current window.',
      required,
      schema: integer(1999),
    },
    'RateLimit-Reset': {
      description: 'Seconds until the current window ends (on a 429: until the key may make requests again).',
      required,
      schema: integer(2),
    },
  };
}

function problemHeaders(status: number): Record<string, HeaderObject> {
  if (status === 401) return { 'WWW-Authenticate': WWW_AUTHENTICATE_HEADER };
  if (status === 429) return { 'Retry-After': RETRY_AFTER_HEADER, ...rateLimitHeaders(true) };
  if (status === 503 || status === 507) return { 'Retry-After': RETRY_AFTER_HEADER };
  return {};
}

export function ApiProblemResponse(
  status: number,
  description: string,
  headers: Record<string, HeaderObject> = {},
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsSchema),
    ApiResponse({
      status,
      description,
      headers: { ...problemHeaders(status), ...headers },
      content: { [PROBLEM_JSON]: { schema: { $ref: getSchemaPath(ProblemDetailsSchema) } } },
    }),
  );
}

/**
 * A route behind ApiKeyGuard and RateLimitGuard: the API key it requires, its 401 and 429, and
 * its 403 when `forbidden` says what a key's scope does not reach there.
 */
export function ApiKeyAccess(forbidden?: string): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBearerAuth(API_KEY_SECURITY),
    ApiProblemResponse(
      401,
      'No `Authorization: Bearer <key>` header, or a key that is malformed, unknown or revoked (once any API key ' +
        'exists). Checked before the body is read: such a request gets this 401 whatever its body.',
    ),
    ...(forbidden === undefined ? [] : [ApiProblemResponse(403, forbidden)]),
    ApiProblemResponse(
      429,
      'The API key is over its rate limit (RATE_LIMIT_PER_SECOND, burst RATE_LIMIT_BURST): nothing was done; ' +
        'retry after `Retry-After` seconds.',
    ),
  );
}
