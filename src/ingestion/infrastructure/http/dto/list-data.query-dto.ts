import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { DATA_ID_INPUT_PATTERN, RFC3339_PATTERN } from '../openapi/ingestion.schemas';

/**
 * Query string of the list routes. Values stay strings here; the controller converts them.
 * No example on the filters: the docs UI would send it with every "Try it out".
 */
export class ListDataQueryDto {
  @ApiPropertyOptional({
    description:
      'At most this many records. When more may follow, the response carries a `Link` header to the next page.',
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    example: 100,
  })
  @IsOptional()
  @Matches(/^(?:[1-9]\d{0,2}|1000)$/, { message: 'limit must be an integer from 1 to 1000' })
  limit?: string;

  @ApiPropertyOptional({
    description:
      'Only records after the record with this id in the event log (the cursor): polling with the last id seen ' +
      'misses none, whichever instance wrote them; an unknown id is a 400.',
    format: 'uuid',
    pattern: DATA_ID_INPUT_PATTERN,
  })
  @IsOptional()
  @IsString({ message: 'after must be a record id' })
  after?: string;

  @ApiPropertyOptional({
    description: 'Only records received at or after this time (RFC 3339).',
    format: 'date-time',
    pattern: RFC3339_PATTERN,
  })
  @IsOptional()
  @IsString({ message: 'since must be an RFC 3339 date-time' })
  since?: string;

  @ApiPropertyOptional({
    description: 'Only records received before this time (RFC 3339).',
    format: 'date-time',
    pattern: RFC3339_PATTERN,
  })
  @IsOptional()
  @IsString({ message: 'until must be an RFC 3339 date-time' })
  until?: string;

  @ApiPropertyOptional({ description: 'With `payload`, each element also carries its payload.', enum: ['payload'] })
  @IsOptional()
  @IsIn(['payload'], { message: 'include must be "payload"' })
  include?: string;
}
