import { IsIn, IsOptional, IsString, Matches } from 'class-validator';

/** Query string of the list routes. Values stay strings here; the controller converts them. */
export class ListDataQueryDto {
  @IsOptional()
  @Matches(/^(?:[1-9]\d{0,2}|1000)$/, { message: 'limit must be an integer from 1 to 1000' })
  limit?: string;

  @IsOptional()
  @IsString({ message: 'after must be a record id' })
  after?: string;

  @IsOptional()
  @IsString({ message: 'since must be an RFC 3339 date-time' })
  since?: string;

  @IsOptional()
  @IsString({ message: 'until must be an RFC 3339 date-time' })
  until?: string;

  @IsOptional()
  @IsIn(['payload'], { message: 'include must be "payload"' })
  include?: string;
}
