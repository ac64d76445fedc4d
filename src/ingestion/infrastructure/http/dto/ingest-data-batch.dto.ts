import { IsArray, IsDefined } from 'class-validator';

/**
 * Request shape of `POST /ingest/batch`. Each record's own shape is checked by
 * `batchRecordsFrom`, and its values by the factory, like those of `POST /ingest`.
 */
export class IngestDataBatchDto {
  @IsDefined({ message: 'records is required' })
  @IsArray({ message: 'records must be an array' })
  records!: unknown[];
}
