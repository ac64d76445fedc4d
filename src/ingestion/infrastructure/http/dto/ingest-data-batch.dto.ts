import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsArray, IsDefined } from 'class-validator';
import { IngestDataDto } from './ingest-data.dto';

/** Request shape of `POST /ingest/batch`. Each record's shape and values are checked by the factory. */
@ApiSchema({ name: 'IngestBatch', description: 'Records to ingest all together, or not at all.' })
export class IngestDataBatchDto {
  @ApiProperty({
    description:
      '1 to `maxItems` records (MAX_BATCH_RECORDS), the body at most `x-max-bytes` bytes (MAX_BATCH_BYTES). ' +
      'Any invalid record rejects the whole batch, and `errors[].field` names it (`records[3].payload`).',
    type: () => [IngestDataDto],
    minItems: 1,
  })
  @IsDefined({ message: 'records is required' })
  @IsArray({ message: 'records must be an array' })
  records!: unknown[];
}
