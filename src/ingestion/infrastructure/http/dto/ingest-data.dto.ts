import { IsDefined, IsObject, IsString } from 'class-validator';

/** Request shape of `POST /ingest`. The value objects check the rules; this checks types. */
export class IngestDataDto {
  @IsDefined({ message: 'partner_id is required' })
  @IsString({ message: 'partner_id must be a string' })
  partner_id!: string;

  @IsDefined({ message: 'payload is required' })
  @IsObject({ message: 'payload must be a JSON object' })
  payload!: Record<string, unknown>;
}
