import {
  AccessError,
  AccessRefusedError,
  ApiKeyNotFoundError,
  InvalidApiKeyRequestError,
  PartnerAccessDeniedError,
  RateLimitExceededError,
  UnauthenticatedError,
} from './access.errors';

describe('access errors', () => {
  it.each([
    [new UnauthenticatedError('missing_key'), 'UnauthenticatedError', 'unauthenticated', 'missing_key'],
    [new PartnerAccessDeniedError('m'), 'PartnerAccessDeniedError', 'forbidden', 'forbidden'],
    [new RateLimitExceededError(3), 'RateLimitExceededError', 'rate-limited', 'rate_limited'],
  ])('%s is a refusal with its name, a stable code and the reason the audit names', (error, name, code, reason) => {
    expect(error).toBeInstanceOf(AccessRefusedError);
    expect(error).toBeInstanceOf(AccessError);
    expect(error).toMatchObject({ name, code, reason });
  });

  it.each([
    [new InvalidApiKeyRequestError('m'), 'InvalidApiKeyRequestError', 'invalid-api-key-request'],
    [new ApiKeyNotFoundError('x'), 'ApiKeyNotFoundError', 'api-key-not-found'],
  ])('%s carries its name and a stable code', (error, name, code) => {
    expect(error).toBeInstanceOf(AccessError);
    expect(error).not.toBeInstanceOf(AccessRefusedError);
    expect(error).toMatchObject({ name, code });
  });

  it.each([
    ['missing_key', 'This route needs an API key: send Authorization: Bearer <key>.'],
    ['invalid_token', 'The stream token is not valid (malformed, expired, or its API key revoked); get a new one.'],
    ['malformed_key', 'The API key is not valid (wrong, or revoked).'],
    ['unknown_key', 'The API key is not valid (wrong, or revoked).'],
    ['revoked_key', 'The API key is not valid (wrong, or revoked).'],
  ] as const)('tells a client refused for %s what to do (the problem detail)', (reason, detail) => {
    const error = new UnauthenticatedError(reason);

    expect(error.message).toBe(detail);
    expect(error.reason).toBe(reason);
  });

  it('tells a client over its rate limit when to retry', () => {
    const error = new RateLimitExceededError(7);

    expect(error.message).toBe('This API key is over its rate limit; retry in 7 s.');
    expect(error.retryAfterSeconds).toBe(7);
  });

  it('quotes at most 100 characters of an unknown key id', () => {
    expect(new ApiKeyNotFoundError('0198').message).toBe("No API key with id '0198'.");
    expect(new ApiKeyNotFoundError('x'.repeat(101)).message).toBe(`No API key with id '${'x'.repeat(100)}'.`);
  });
});
