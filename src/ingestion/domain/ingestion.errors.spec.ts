import {
  DataNotFoundError,
  IdempotencyKeyReusedError,
  IngestionError,
  InvalidBatchError,
  InvalidDataIdError,
  InvalidIdempotencyKeyError,
  InvalidPartnerIdError,
  InvalidPayloadError,
  InvalidTimestampError,
  PayloadTooLargeError,
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
    expect(new DataNotFoundError('019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69').message).toContain(
      '019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69',
    );
    expect(new UnknownCursorError('019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69').message).toContain(
      '019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69',
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
    expect(error.message).toContain('2 problem(s)');
  });

  it('tells a client reusing a key to take a new one', () => {
    expect(new IdempotencyKeyReusedError().message).toMatch(/different request.*new key/);
  });
});
