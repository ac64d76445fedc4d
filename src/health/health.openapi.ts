import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, type SchemaObject } from '@nestjs/swagger';
import { ApiProblemResponse } from '../openapi/api-responses';

/** `{"status": "ok"}` */
const LIVE_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok'] } },
};

/** A health indicator's result by name, e.g. `{"database": {"status": "up"}}` (@nestjs/terminus). */
const INDICATORS_SCHEMA: SchemaObject = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string' } },
    additionalProperties: true,
  },
  example: {
    database: { status: 'up' },
    database_writes: { status: 'up' },
    event_delivery: { status: 'up', sink: 'nats-jetstream:INGESTION', sink_state: 'reachable' },
    access_control: { status: 'up', mode: 'api-keys' },
  },
};

const READY_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok'] },
    info: INDICATORS_SCHEMA,
    error: { ...INDICATORS_SCHEMA, example: {} },
    details: INDICATORS_SCHEMA,
  },
};

export function ApiLive(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiOperation({ summary: 'Liveness', description: 'Answers 200 while the process runs and its event loop turns.' }),
    ApiOkResponse({ description: 'The process is alive.', schema: LIVE_SCHEMA }),
  );
}

export function ApiReady(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiOperation({
      summary: 'Readiness',
      description:
        'Answers 200 when the database answers and takes writes, 503 otherwise. `event_delivery` reports the ' +
        'event sink (`sink_state`: reachable or unreachable) and is always up: records wait in the event log ' +
        'while the broker is away. `access_control` is always up; its `mode` is `open` (with a `warning`) while no ' +
        'API key exists, `api-keys` once one does.',
    }),
    ApiOkResponse({ description: 'The database answers and takes writes.', schema: READY_SCHEMA }),
    ApiProblemResponse(
      503,
      'The database does not answer; or its writes fail (a full disk, a read-only database, I/O errors) and ' +
        'a probe write has not succeeded since; or shutdown has begun.',
    ),
  );
}
