import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'FieldError', description: 'One field at fault in a request that was not valid.' })
export class FieldErrorSchema {
  @ApiProperty({
    description:
      'The field at fault: a body member, a record of a batch (`records[3].payload`), a query parameter or a header.',
    example: 'payload',
  })
  field!: string;

  @ApiProperty({ description: 'What is wrong with it.', example: 'payload must be a JSON object' })
  message!: string;
}

@ApiSchema({
  name: 'ProblemDetails',
  description:
    'RFC 9457 problem details, sent as `application/problem+json` for every error. It never carries a stack trace or SQL.',
})
export class ProblemDetailsSchema {
  @ApiProperty({
    description: 'What kind of problem: `urn:problem-type:ingestion:<code>`, or `about:blank` when there is no code.',
    format: 'uri',
    example: 'urn:problem-type:ingestion:validation-error',
  })
  type!: string;

  @ApiProperty({ description: 'The HTTP reason phrase of `status`.', example: 'Bad Request' })
  title!: string;

  @ApiProperty({
    description: 'The HTTP status code of the response.',
    type: 'integer',
    minimum: 400,
    maximum: 599,
    example: 400,
  })
  status!: number;

  @ApiProperty({ description: 'What went wrong, for a human.', example: 'The request is not valid.' })
  detail!: string;

  @ApiPropertyOptional({
    description: 'Every field at fault; present only for validation failures.',
    type: () => [FieldErrorSchema],
  })
  errors?: FieldErrorSchema[];
}
