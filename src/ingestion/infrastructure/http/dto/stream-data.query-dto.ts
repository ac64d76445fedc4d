import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { DATA_ID_INPUT_PATTERN } from '../openapi/ingestion.schemas';

/** Query string of `GET /ingest/stream`; the partner id and the cursor are checked by the domain. */
export class StreamDataQueryDto {
  @ApiPropertyOptional({
    description: "Only this partner's records. Required with a partner's API key (its own partner).",
    example: 'acme',
  })
  @IsOptional()
  @IsString({ message: 'partner_id must be a partner id' })
  partner_id?: string;

  @ApiPropertyOptional({ description: 'With `payload`, each event also carries its payload.', enum: ['payload'] })
  @IsOptional()
  @IsIn(['payload'], { message: 'include must be "payload"' })
  include?: string;

  @ApiPropertyOptional({
    description:
      'Resume after this record: every record after it in the event log first, then the live feed. ' +
      'The `Last-Event-ID` header wins over it; an unknown id is a 400.',
    format: 'uuid',
    pattern: DATA_ID_INPUT_PATTERN,
  })
  @IsOptional()
  @IsString({ message: 'after must be a record id' })
  after?: string;

  @ApiPropertyOptional({
    description:
      'A stream token from `POST /ingest/stream/token`, for clients that cannot send `Authorization` ' +
      "(a browser's EventSource). Never an API key.",
  })
  @IsOptional()
  @IsString({ message: 'access_token must be a stream token' })
  access_token?: string;
}
