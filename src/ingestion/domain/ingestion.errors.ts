/** A stable `code` that the HTTP layer maps to a status: no HTTP knowledge in the domain. */
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
    super(`No record with id '${quoted(id)}'.`);
  }
}

export class UnknownCursorError extends IngestionError {
  readonly code = 'unknown-cursor';

  constructor(id: string, field = 'after') {
    super(`No record with id '${quoted(id)}' to continue after.`, field);
  }
}

export class InvalidIdempotencyKeyError extends IngestionError {
  readonly code = 'invalid-idempotency-key';

  constructor(message: string) {
    super(message, 'Idempotency-Key');
  }
}

export class IdempotencyKeyReusedError extends IngestionError {
  readonly code = 'idempotency-key-reused';

  constructor() {
    super('This Idempotency-Key was already used with a different request; use a new key for a new request.');
  }
}

export interface BatchFieldError {
  field: string;
  message: string;
}

export class InvalidBatchError extends IngestionError {
  readonly code = 'invalid-batch';

  constructor(readonly errors: BatchFieldError[]) {
    super(`The batch is not valid: ${errors.length} problem(s); nothing was stored.`, errors[0]?.field);
  }
}

/** Nothing was changed, so the request may be retried; any `DataRepository` method may throw it. */
export class StorageUnavailableError extends IngestionError {
  readonly code = 'storage-unavailable';

  constructor(readonly reason: string) {
    super('The database is not available right now; retry later.');
  }
}

export class StorageFullError extends IngestionError {
  readonly code = 'storage-full';

  constructor(readonly reason: string) {
    super('The database has no space left for this write; nothing was stored. Retry later.');
  }
}

/** Every slot for streamed lists is taken (`DATABASE_EXPORT_CONNECTIONS`); the same request may be retried. */
export class ExportLimitReachedError extends IngestionError {
  readonly code = 'export-limit-reached';

  constructor(limit: number) {
    super(`${limit} streamed list(s) are already being served; retry later, or read in pages with limit.`);
  }
}

export class StreamUnavailableError extends IngestionError {
  readonly code = 'stream-unavailable';
}

const MAX_QUOTED_CHARACTERS = 100;

export function quoted(text: string): string {
  return text.length > MAX_QUOTED_CHARACTERS ? `${text.slice(0, MAX_QUOTED_CHARACTERS)}…` : text;
}
