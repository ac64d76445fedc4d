import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath, type HeaderObject } from '@nestjs/swagger';
import { ProblemDetailsSchema } from './problem-details.schema';

export const PROBLEM_JSON = 'application/problem+json';

/** The problem filter sends it with every 503 and 507 (src/ingestion/infrastructure/http/problem-details.filter.ts). */
export const RETRY_AFTER_HEADER: HeaderObject = {
  description: 'Seconds to wait before retrying the same request.',
  required: true,
  schema: { type: 'integer', minimum: 0, example: 1 },
};

/** An RFC 9457 problem+json error response. */
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
      headers: status === 503 || status === 507 ? { 'Retry-After': RETRY_AFTER_HEADER, ...headers } : headers,
      content: { [PROBLEM_JSON]: { schema: { $ref: getSchemaPath(ProblemDetailsSchema) } } },
    }),
  );
}
