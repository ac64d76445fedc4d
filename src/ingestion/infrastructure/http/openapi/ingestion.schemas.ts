import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IDEMPOTENCY_KEY } from '../../../domain/idempotency-key.value-object';
import { PARTNER_ID } from '../../../domain/partner-id.value-object';

/** The rule PartnerId checks, as a JSON Schema pattern. */
export const PARTNER_ID_PATTERN = PARTNER_ID.source;
/** The rule IdempotencyKey checks (1–255 printable ASCII characters), as a JSON Schema pattern. */
export const IDEMPOTENCY_KEY_PATTERN = IDEMPOTENCY_KEY.source;

export const EXAMPLE_ID = '0193c3a2-5f1e-7c4b-9a2d-3e4f5a6b7c8d';
const EXAMPLE_TIMESTAMP = '2026-11-29T10:31:05.123Z';

export const PARTNER_ID_DESCRIPTION = '1–64 characters of `A-Z a-z 0-9 . _ ~ -`, starting with a letter or a digit.';

export const PAYLOAD_DESCRIPTION =
  'A JSON object (not an array, string, number, boolean or null), at most MAX_PAYLOAD_BYTES (default 262144) ' +
  'when serialised and nested at most 32 deep. Stored and returned as written: same keys, values, key order.';

@ApiSchema({ name: 'DataReceipt', description: 'A committed record, without its payload.' })
export class DataReceiptSchema {
  @ApiProperty({
    description: 'UUID version 7, lower case; ids sort in ingestion order and serve as the list cursor.',
    format: 'uuid',
    example: EXAMPLE_ID,
  })
  id!: string;

  @ApiProperty({ description: PARTNER_ID_DESCRIPTION, pattern: PARTNER_ID_PATTERN, example: 'acme' })
  partner_id!: string;

  @ApiProperty({
    description: "The server's receive time, RFC 3339 UTC with milliseconds.",
    format: 'date-time',
    example: EXAMPLE_TIMESTAMP,
  })
  timestamp!: string;
}

@ApiSchema({ name: 'DataRecord', description: 'A stored record with its payload.' })
export class DataRecordSchema extends DataReceiptSchema {
  @ApiProperty({
    description: PAYLOAD_DESCRIPTION,
    type: 'object',
    additionalProperties: true,
    example: { order: { id: 'A-1' }, paid: true },
  })
  payload!: Record<string, unknown>;
}

@ApiSchema({
  name: 'DataSummary',
  description: 'One element of a list: a record, with its payload only when the list asked for `include=payload`.',
})
export class DataSummarySchema extends DataReceiptSchema {
  @ApiPropertyOptional({
    description: 'Present with `include=payload`.',
    type: 'object',
    additionalProperties: true,
    example: { order: { id: 'A-1' }, paid: true },
  })
  payload?: Record<string, unknown>;
}

@ApiSchema({ name: 'BatchReceipt', description: 'The receipts of a committed batch, in request order.' })
export class BatchReceiptSchema {
  @ApiProperty({ type: () => [DataReceiptSchema] })
  records!: DataReceiptSchema[];
}
