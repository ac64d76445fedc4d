import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsDefined, IsObject, IsString } from 'class-validator';
import { PARTNER_ID_DESCRIPTION, PARTNER_ID_PATTERN, PAYLOAD_DESCRIPTION } from '../openapi/ingestion.schemas';

/** Request shape of `POST /ingest`. The value objects check the rules; this checks types. */
@ApiSchema({ name: 'IngestRecord', description: 'One record to ingest. Any other member is a 400.' })
export class IngestDataDto {
  @ApiProperty({ description: PARTNER_ID_DESCRIPTION, pattern: PARTNER_ID_PATTERN, example: 'acme' })
  @IsDefined({ message: 'partner_id is required' })
  @IsString({ message: 'partner_id must be a string' })
  partner_id!: string;

  @ApiProperty({
    description: PAYLOAD_DESCRIPTION,
    type: 'object',
    additionalProperties: true,
    example: { order: { id: 'A-1' }, paid: true },
  })
  @IsDefined({ message: 'payload is required' })
  @IsObject({ message: 'payload must be a JSON object' })
  payload!: Record<string, unknown>;
}
