import { applyDecorators } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  getSchemaPath,
  type HeaderObject,
  type MediaTypeObject,
} from '@nestjs/swagger';
import { ApiKeyAccess, ApiProblemResponse, rateLimitHeaders } from '../../../../openapi/api-responses';
import {
  BatchReceiptSchema,
  DataReceiptSchema,
  DataRecordSchema,
  DataSummarySchema,
  DATA_ID_INPUT_PATTERN,
  DATA_ID_PATTERN,
  EXAMPLE_ID,
  IDEMPOTENCY_KEY_PATTERN,
  PARTNER_ID_DESCRIPTION,
  PARTNER_ID_PATTERN,
} from './ingestion.schemas';

/**
 * The OpenAPI description of IngestController's routes, one decorator per route, so that the
 * controller shows its routes and this file what the contract (CONTRACT.md) says of them.
 */

const JSON_MEDIA_TYPE = 'application/json';
const NDJSON_MEDIA_TYPE = 'application/x-ndjson';

const IDEMPOTENT_REPLAYED_HEADER: HeaderObject = {
  description:
    '`true` when the response is the stored answer to an earlier request with the same `Idempotency-Key` and body; absent otherwise.',
  schema: { type: 'string', enum: ['true'] },
};

const FOLLOWS_FORWARDED_PREFIX =
  'A path without scheme or host; behind a proxy that TRUST_PROXY trusts, it starts with the `X-Forwarded-Prefix` ' +
  'the proxy sent (`/api/ingestion/ingest/...` for `X-Forwarded-Prefix: /api/ingestion`).';

/** The next page of a list at `path`: same path and filters, the cursor moved to the last id sent. */
function linkHeader(path: string): HeaderObject {
  return {
    description:
      `RFC 8288 link to the next page, with the same path and filters: \`<${path}?limit=N&after=<last id>>; rel="next"\`. ` +
      `Sent with \`limit\` when more records may follow. ${FOLLOWS_FORWARDED_PREFIX}`,
    schema: {
      type: 'string',
      pattern: '^<[^>]+>; rel="next"$',
      example: `<${path}?limit=100&after=${EXAMPLE_ID}>; rel="next"`,
    },
  };
}

/**
 * OpenAPI 3.0 cannot describe a sequence of JSON texts: the body's schema is the string it is, and
 * `x-itemSchema` holds the schema of each line (the field OpenAPI 3.2 names `itemSchema`).
 */
function ndjsonOf(itemSchema: { $ref: string }): MediaTypeObject {
  const content: MediaTypeObject & { 'x-itemSchema': { $ref: string } } = {
    schema: {
      type: 'string',
      description:
        'NDJSON: one `DataSummary` JSON object per line (the schema in `x-itemSchema`), each line ended by `\\n`; ' +
        'empty when no record matches.',
      pattern: '^(?:\\{[^\\n]*\\}\\n)*$',
      example:
        `{"id":"${EXAMPLE_ID}","partner_id":"acme","timestamp":"2026-11-29T10:31:05.123Z"}\n` +
        '{"id":"0193c3a2-5f1e-7c4b-9a2d-3e4f5a6b7c8e","partner_id":"acme","timestamp":"2026-11-29T10:31:05.124Z"}\n',
    },
    'x-itemSchema': itemSchema,
  };
  return content;
}

function ApiIdempotencyKey(): MethodDecorator & ClassDecorator {
  return ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Makes a retry safe, per API key and partner: the same key with the same body answers the original status and ' +
      'body again (`Idempotent-Replayed: true`) without storing anything; with a different body it is a 422. ' +
      'The same value sent with another API key neither replays nor blocks it. Kept at least ' +
      'IDEMPOTENCY_TTL_HOURS (default 24). 1–255 printable ASCII characters; anything else is a 400.',
    schema: { type: 'string', minLength: 1, maxLength: 255, pattern: IDEMPOTENCY_KEY_PATTERN },
  });
}

/** Errors of the two POST routes (body parsing, limits, media type, idempotency, storage). */
function ApiIngestProblems(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiProblemResponse(
      409,
      'A request with this `Idempotency-Key` is still in flight (the service may wait and replay instead).',
    ),
    ApiProblemResponse(413, 'The body or a payload is over its limit.'),
    ApiProblemResponse(415, 'The body is not JSON (`application/json` or `application/*+json`).'),
    ApiProblemResponse(422, 'This `Idempotency-Key` was already used with a different body.'),
    ApiProblemResponse(
      503,
      'The service sheds load or the database is not available (not reachable, read-only, I/O errors): ' +
        'nothing was stored; retry after `Retry-After` seconds.',
    ),
    ApiProblemResponse(
      507,
      'The database has no space left: nothing was stored; retry after `Retry-After` seconds, once space is freed.',
    ),
    ApiProblemResponse(500, 'The server could not complete the request (no internals are disclosed).'),
  );
}

/** Errors that any read may answer once it reaches the database. */
function ApiReadProblems(
  unavailable = 'The database is not available; retry after `Retry-After` seconds.',
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiProblemResponse(503, unavailable),
    ApiProblemResponse(500, 'The server could not complete the request (no internals are disclosed).'),
  );
}

/** `200` with a JSON array (or NDJSON) and the Link header of the list at `path`. */
function ApiListResponses(subject: string, path: string): MethodDecorator & ClassDecorator {
  const item = { $ref: getSchemaPath(DataSummarySchema) };
  return applyDecorators(
    ApiExtraModels(DataSummarySchema),
    ApiOkResponse({
      description:
        `${subject} in ingestion order (oldest first), the order of the event log: commit order across instances, ` +
        `id order on one; \`[]\` when there are none. Without \`limit\` every matching ` +
        'record is streamed from a database cursor, as fast as the client reads; a client that reads nothing for ' +
        'EXPORT_STALL_TIMEOUT_MS is cut off (the body ends without its last chunk). With ' +
        '`Accept: application/x-ndjson`, one JSON object a line.',
      headers: { Link: linkHeader(path), ...rateLimitHeaders() },
      content: {
        [JSON_MEDIA_TYPE]: { schema: { type: 'array', items: item } },
        [NDJSON_MEDIA_TYPE]: ndjsonOf(item),
      },
    }),
    ApiReadProblems(
      'The database is not available, or (without `limit`) DATABASE_EXPORT_CONNECTIONS streamed lists are already ' +
        'being served (`export-limit-reached`), before any byte of the list; retry after `Retry-After` seconds.',
    ),
  );
}

export function ApiIngestOne(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiOperation({
      summary: 'Ingest one record',
      description:
        'A 201 means the record is committed: it survives a crash of the process right after the response. ' +
        'A `DataIngested` event follows.',
    }),
    ApiIdempotencyKey(),
    ApiCreatedResponse({
      description: 'The record is committed.',
      type: DataReceiptSchema,
      headers: {
        Location: {
          description: `The record's URL. ${FOLLOWS_FORWARDED_PREFIX}`,
          required: true,
          schema: {
            type: 'string',
            format: 'uri-reference',
            pattern: `^(?:/[^/?#]+)*/ingest/${DATA_ID_PATTERN.slice(1)}`,
            example: `/ingest/${EXAMPLE_ID}`,
          },
        },
        'Idempotent-Replayed': IDEMPOTENT_REPLAYED_HEADER,
        ...rateLimitHeaders(),
      },
      links: {
        getById: {
          operationId: 'getById',
          parameters: { id: '$response.body#/id' },
          description: 'The record just ingested: its `id` is the one to read it by.',
        },
      },
    }),
    ApiProblemResponse(
      400,
      'Invalid JSON, an unknown member, a missing or invalid `partner_id`, a missing or non-object `payload`, ' +
        'a payload nested too deep, or an invalid `Idempotency-Key`.',
    ),
    ApiKeyAccess("A partner key and another partner's `partner_id`: nothing is stored."),
    ApiIngestProblems(),
  );
}

export function ApiIngestBatch(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiOperation({
      summary: 'Ingest many records, all or nothing',
      description: 'All records are committed in one transaction; one `DataIngested` event per record.',
    }),
    ApiIdempotencyKey(),
    ApiCreatedResponse({
      description: 'Every record is committed; the receipts are in request order.',
      type: BatchReceiptSchema,
      headers: { 'Idempotent-Replayed': IDEMPOTENT_REPLAYED_HEADER, ...rateLimitHeaders() },
    }),
    ApiProblemResponse(
      400,
      'Invalid JSON, too few or too many records, or an invalid record (`errors[].field` names it, e.g. ' +
        '`records[3].payload`): nothing is stored. Also an invalid `Idempotency-Key`.',
    ),
    ApiKeyAccess(
      "A partner key and a record with another partner's `partner_id`: the whole batch is refused, nothing is stored.",
    ),
    ApiIngestProblems(),
  );
}

export function ApiListAll(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiOperation({ summary: 'List every record' }),
    ApiListResponses('Every matching record', '/ingest/all'),
    ApiProblemResponse(400, 'An invalid query parameter, or an `after` that names no record.'),
    ApiKeyAccess(
      "A partner key: only an admin key lists every partner's records (a partner key lists its own at " +
        '`/ingest/partner/{partner_id}`).',
    ),
  );
}

export function ApiListByPartner(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiOperation({ summary: "List a partner's records" }),
    ApiParam({
      name: 'partner_id',
      description: PARTNER_ID_DESCRIPTION,
      schema: { type: 'string', pattern: PARTNER_ID_PATTERN, example: 'acme' },
    }),
    ApiListResponses("The partner's matching records", '/ingest/partner/acme'),
    ApiProblemResponse(400, 'An invalid `partner_id` or query parameter, or an `after` that names no record.'),
    ApiKeyAccess("A partner key and another partner's `partner_id`."),
  );
}

export function ApiGetById(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiOperation({ summary: 'Read one record' }),
    // No example: no id exists before a record is ingested, and one that names nothing is a 404.
    ApiParam({
      name: 'id',
      description:
        'The record id (a UUID version 7): the `id` that `POST /ingest` answered (link `getById`) or that a list shows.',
      schema: { type: 'string', format: 'uuid', pattern: DATA_ID_INPUT_PATTERN },
    }),
    ApiOkResponse({
      description: 'The record with its payload, as it was written.',
      type: DataRecordSchema,
      headers: rateLimitHeaders(),
    }),
    ApiProblemResponse(
      404,
      "No record has this id, or it is not a UUID version 7, or it is another partner's and the API key is a " +
        "partner key (the same answer: a key learns nothing of other partners' ids).",
    ),
    ApiKeyAccess(),
    ApiReadProblems(),
  );
}
