import {
  DataNotFoundError,
  ExportLimitReachedError,
  IdempotencyKeyReusedError,
  IngestionError,
  InvalidBatchError,
  InvalidDataIdError,
  InvalidIdempotencyKeyError,
  InvalidPartnerIdError,
  InvalidPayloadError,
  InvalidTimestampError,
  PayloadTooLargeError,
  quoted,
  StorageFullError,
  StorageUnavailableError,
  StreamUnavailableError,
  UnknownCursorError,
} from './ingestion.errors';

describe('ingestion errors', () => {
  it.each([
    [new InvalidPartnerIdError('m'), 'InvalidPartnerIdError', 'invalid-partner-id', 'partner_id'],
    [new InvalidPayloadError('m'), 'InvalidPayloadError', 'invalid-payload', 'payload'],
    [new PayloadTooLargeError('m'), 'PayloadTooLargeError', 'payload-too-large', 'payload'],
    [new InvalidDataIdError('m'), 'InvalidDataIdError', 'invalid-data-id', 'id'],
    [new InvalidTimestampError('m'), 'InvalidTimestampError', 'invalid-timestamp', 'timestamp'],
    [new DataNotFoundError('x'), 'DataNotFoundError', 'data-not-found', undefined],
    [new UnknownCursorError('x'), 'UnknownCursorError', 'unknown-cursor', 'after'],
    [new InvalidIdempotencyKeyError('m'), 'InvalidIdempotencyKeyError', 'invalid-idempotency-key', 'Idempotency-Key'],
    [new IdempotencyKeyReusedError(), 'IdempotencyKeyReusedError', 'idempotency-key-reused', undefined],
    [new InvalidBatchError([{ field: 'records', message: 'm' }]), 'InvalidBatchError', 'invalid-batch', 'records'],
    [new StorageUnavailableError('ECONNREFUSED'), 'StorageUnavailableError', 'storage-unavailable', undefined],
    [new StorageFullError('SQLITE_FULL'), 'StorageFullError', 'storage-full', undefined],
    [new ExportLimitReachedError(4), 'ExportLimitReachedError', 'export-limit-reached', undefined],
    [new StreamUnavailableError('m'), 'StreamUnavailableError', 'stream-unavailable', undefined],
  ])(
    '%s carries its name, a stable code and its default field (none when no input is at fault)',
    (error, name, code, field) => {
      expect(error).toBeInstanceOf(IngestionError);
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ name, code, field });
    },
  );

  it('lets a caller name the field', () => {
    expect(new InvalidPayloadError('m', 'records[3].payload').field).toBe('records[3].payload');
    expect(new InvalidTimestampError('m', 'since').field).toBe('since');
  });

  it('names the id in the not-found and unknown-cursor messages', () => {
    expect(new DataNotFoundError('019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69').message).toBe(
      "No record with id '019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69'.",
    );
    expect(new UnknownCursorError('019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69').message).toBe(
      "No record with id '019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69' to continue after.",
    );
    expect(new UnknownCursorError('x', 'Last-Event-ID').field).toBe('Last-Event-ID');
  });

  it('quotes at most 100 characters of what a client asked for, marking the cut', () => {
    const asked = 'x'.repeat(100);

    expect(quoted(asked)).toBe(asked);
    expect(quoted(`${asked}y`)).toBe(`${asked}…`);
    expect(new DataNotFoundError(`${asked}tail`).message).toBe(`No record with id '${asked}…'.`);
    expect(new UnknownCursorError(`${asked}tail`).message).toBe(`No record with id '${asked}…' to continue after.`);
  });

  it('tells the client that a storage fault changed nothing and the request may be retried', () => {
    const unavailable = new StorageUnavailableError('connection refused');
    const full = new StorageFullError('disk full');

    expect(unavailable.message).toBe('The database is not available right now; retry later.');
    expect(unavailable.reason).toBe('connection refused');
    expect(full.message).toBe('The database has no space left for this write; nothing was stored. Retry later.');
    expect(full.reason).toBe('disk full');
    expect(new ExportLimitReachedError(4).message).toBe(
      '4 streamed list(s) are already being served; retry later, or read in pages with limit.',
    );
  });

  it('keeps every problem of an invalid batch, naming the first as its field', () => {
    const problems = [
      { field: 'records[1].partner_id', message: 'bad partner' },
      { field: 'records[4].payload', message: 'bad payload' },
    ];

    const error = new InvalidBatchError(problems);

    expect(error.errors).toEqual(problems);
    expect(error.field).toBe('records[1].partner_id');
    expect(error.message).toBe('The batch is not valid: 2 problem(s); nothing was stored.');
    expect(new InvalidBatchError([]).field).toBeUndefined();
  });

  it('tells a client reusing a key to take a new one', () => {
    expect(new IdempotencyKeyReusedError().message).toBe(
      'This Idempotency-Key was already used with a different request; use a new key for a new request.',
    );
  });
});
