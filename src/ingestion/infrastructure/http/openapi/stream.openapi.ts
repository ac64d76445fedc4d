import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ApiKeyAccess, ApiProblemResponse, rateLimitHeaders } from '../../../../openapi/api-responses';
import { DATA_ID_INPUT_PATTERN, EXAMPLE_ID } from './ingestion.schemas';

const EXAMPLE_EVENT =
  `retry: 1000\n\nevent: data-ingested\nid: ${EXAMPLE_ID}\n` +
  `data: {"id":"${EXAMPLE_ID}","partner_id":"acme","timestamp":"2026-11-29T10:31:05.123Z"}\n\n: ping\n\n`;

export function ApiStream(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiOperation({
      summary: 'Follow new records live (Server-Sent Events)',
      description:
        'One `data-ingested` event per committed record, in event-log order, from every instance: `id:` is the ' +
        'record id, `data:` is `{"id","partner_id","timestamp"}` (with `"payload"` for `include=payload`). ' +
        'With `Last-Event-ID` (or `after`) every record after that one comes first, then the live feed, with no gap ' +
        'and no duplicate. A `: ping` comment every STREAM_HEARTBEAT_MS (15 s). A client more than STREAM_MAX_LAG ' +
        'events behind is disconnected and resumes with `Last-Event-ID`; on shutdown every stream ends cleanly.',
    }),
    ApiHeader({
      name: 'Last-Event-ID',
      required: false,
      description:
        'The last record id the client received (EventSource sends it when it reconnects). Wins over `after`.',
      schema: { type: 'string', format: 'uuid', pattern: DATA_ID_INPUT_PATTERN },
    }),
    ApiOkResponse({
      description: 'The event stream; it lasts until the client leaves, falls too far behind, or the server stops.',
      headers: rateLimitHeaders(),
      content: { 'text/event-stream': { schema: { type: 'string', example: EXAMPLE_EVENT } } },
    }),
    ApiProblemResponse(
      400,
      'An invalid query parameter, or a `Last-Event-ID` or `after` that names no record (for a partner key: none ' +
        'of its partner).',
    ),
    ApiKeyAccess("A partner key without `partner_id`, or with another partner's."),
    ApiProblemResponse(
      503,
      'STREAM_MAX_CLIENTS streams are open on this instance, the instance is shutting down, or the database is not ' +
        'available; retry after `Retry-After` seconds.',
    ),
    ApiProblemResponse(500, 'The server could not complete the request (no internals are disclosed).'),
  );
}
