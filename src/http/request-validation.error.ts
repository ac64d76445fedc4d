export interface FieldError {
  field: string;
  message: string;
}

/** The request's shape is wrong (DTO validation): a 400 listing every field at fault. */
export class RequestValidationError extends Error {
  constructor(
    readonly errors: FieldError[],
    message = 'The request is not valid.',
  ) {
    super(message);
    this.name = RequestValidationError.name;
  }
}
