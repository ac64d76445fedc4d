import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IDEMPOTENCY_KEY } from '../../../domain/idempotency-key.value-object';
import { PARTNER_ID } from '../../../domain/partner-id.value-object';

/** The rule PartnerId checks, as a JSON Schema pattern. */
export const PARTNER_ID_PATTERN = PARTNER_ID.source;
/** The rule IdempotencyKey checks (1–255 printable ASCII characters), as a JSON Schema pattern. */
export const IDEMPOTENCY_KEY_PATTERN = IDEMPOTENCY_KEY.source;

/** A record id as the service writes it: a UUID version 7 in lower case. */
export const DATA_ID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';
/** A record id as a request may name it: RFC 9562 UUIDs are case-insensitive. */
export const DATA_ID_INPUT_PATTERN =
  '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$';
/** A timestamp as the service writes it: RFC 3339 UTC with milliseconds. */
export const TIMESTAMP_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$';
/** Any RFC 3339 date-time (section 5.6), as the range filters take it. */
export const RFC3339_PATTERN = '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?(?:[Zz]|[+-]\\d{2}:\\d{2})$';

export const EXAMPLE_ID = '0193c3a2-5f1e-7c4b-9a2d-3e4f5a6b7c8d';
const EXAMPLE_TIMESTAMP = '2026-11-29T10:31:05.123Z';
const EXAMPLE_PAYLOAD = { order: { id: 'A-1' }, paid: true };

export const PARTNER_ID_DESCRIPTION = '1–64 characters of `A-Z a-z 0-9 . _ ~ -`, starting with a letter or a digit.';

export const PAYLOAD_DESCRIPTION =
  'A JSON object (not an array, string, number, boolean or null), at most `x-max-bytes` bytes (MAX_PAYLOAD_BYTES) ' +
  'when serialised and nested at most `x-max-depth` deep (the object itself is depth 1). Stored and returned as ' +
  'written: same keys, values, key order.';

@ApiSchema({ name: 'DataReceipt', description: 'A committed record, without its payload.' })
export class DataReceiptSchema {
  @ApiProperty({
    description:
      'UUID version 7, lower case; ids sort in ingestion order within an instance and serve as the list cursor.',
    format: 'uuid',
    pattern: DATA_ID_PATTERN,
    example: EXAMPLE_ID,
  })
  id!: string;

  @ApiProperty({ description: PARTNER_ID_DESCRIPTION, pattern: PARTNER_ID_PATTERN, example: 'acme' })
  partner_id!: string;

  @ApiProperty({
    description: "The server's receive time, RFC 3339 UTC with milliseconds.",
    format: 'date-time',
    pattern: TIMESTAMP_PATTERN,
    example: EXAMPLE_TIMESTAMP,
  })
  timestamp!: string;
}

@ApiSchema({ name: 'DataRecord', description: 'A stored record with its payload.' })
export class DataRecordSchema extends DataReceiptSchema {
  @ApiProperty({
    description: 'The payload as it was ingested: same keys, values and key order.',
    type: 'object',
    additionalProperties: true,
    example: EXAMPLE_PAYLOAD,
  })
  payload!: Record<string, unknown>;
}

@ApiSchema({
  name: 'DataSummary',
  description: 'One element of a list: a record, with its payload only when the list asked for `include=payload`.',
})
export class DataSummarySchema extends DataReceiptSchema {
  @ApiPropertyOptional({
    description: 'Present with `include=payload`: the payload as it was ingested.',
    type: 'object',
    additionalProperties: true,
    example: EXAMPLE_PAYLOAD,
  })
  payload?: Record<string, unknown>;
}

@ApiSchema({ name: 'BatchReceipt', description: 'The receipts of a committed batch, in request order.' })
export class BatchReceiptSchema {
  @ApiProperty({ type: () => [DataReceiptSchema], minItems: 1 })
  records!: DataReceiptSchema[];
}
