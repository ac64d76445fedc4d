/**
 * Domain errors carry a stable `code` that the HTTP layer maps to a status; they never
 * carry HTTP knowledge themselves. `field` names the offending input when the input is at fault.
 */
export abstract class IngestionError extends Error {
  abstract readonly code: string;

  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidPartnerIdError extends IngestionError {
  readonly code = 'invalid-partner-id';

  constructor(message: string, field = 'partner_id') {
    super(message, field);
  }
}

export class InvalidPayloadError extends IngestionError {
  readonly code = 'invalid-payload';

  constructor(message: string, field = 'payload') {
    super(message, field);
  }
}

export class PayloadTooLargeError extends IngestionError {
  readonly code = 'payload-too-large';

  constructor(message: string, field = 'payload') {
    super(message, field);
  }
}

export class InvalidDataIdError extends IngestionError {
  readonly code = 'invalid-data-id';

  constructor(message: string, field = 'id') {
    super(message, field);
  }
}

export class InvalidTimestampError extends IngestionError {
  readonly code = 'invalid-timestamp';

  constructor(message: string, field = 'timestamp') {
    super(message, field);
  }
}

export class DataNotFoundError extends IngestionError {
  readonly code = 'data-not-found';

  constructor(id: string) {
    super(`No record with id '${id}'.`);
  }
}

export class UnknownCursorError extends IngestionError {
  readonly code = 'unknown-cursor';

  constructor(id: string) {
    super(`No record with id '${id}' to continue after.`, 'after');
  }
}
