/** Errors of access control; like the ingestion errors they carry a stable `code` that HTTP maps to a status. */
export abstract class AccessError extends Error {
  abstract readonly code: string;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Why a request was refused, as the audit line and the refusals metric name it. */
export type RefusalReason =
  'missing_key' | 'malformed_key' | 'unknown_key' | 'revoked_key' | 'invalid_token' | 'forbidden' | 'rate_limited';

export abstract class AccessRefusedError extends AccessError {
  abstract readonly reason: RefusalReason;
}

/** No usable `Authorization: Bearer` credentials, or a key that is wrong or revoked: 401. */
export class UnauthenticatedError extends AccessRefusedError {
  readonly code = 'unauthenticated';

  constructor(
    readonly reason: Extract<
      RefusalReason,
      'missing_key' | 'malformed_key' | 'unknown_key' | 'revoked_key' | 'invalid_token'
    >,
  ) {
    super(
      reason === 'missing_key'
        ? 'This route needs an API key: send Authorization: Bearer <key>.'
        : reason === 'invalid_token'
          ? 'The stream token is not valid (malformed, expired, or its API key revoked); get a new one.'
          : 'The API key is not valid (wrong, or revoked).',
    );
  }
}

/** The key is valid but its scope does not reach what the request names: 403. */
export class PartnerAccessDeniedError extends AccessRefusedError {
  readonly code = 'forbidden';
  readonly reason = 'forbidden';
}

export class RateLimitExceededError extends AccessRefusedError {
  readonly code = 'rate-limited';
  readonly reason = 'rate_limited';

  constructor(readonly retryAfterSeconds: number) {
    super(`This API key is over its rate limit; retry in ${retryAfterSeconds} s.`);
  }
}

/** A key management request that cannot be carried out (CLI usage errors). */
export class InvalidApiKeyRequestError extends AccessError {
  readonly code = 'invalid-api-key-request';
}

export class ApiKeyNotFoundError extends AccessError {
  readonly code = 'api-key-not-found';

  constructor(id: string) {
    super(`No API key with id '${id.slice(0, 100)}'.`);
  }
}
