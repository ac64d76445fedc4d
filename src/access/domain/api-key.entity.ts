import { v7 as uuidv7 } from 'uuid';
import { InvalidApiKeyRequestError } from './access.errors';
import { ApiKeySecret } from './api-key-secret.value-object';

export const MAX_API_KEY_NAME_LENGTH = 200;

/** What a key may reach: one partner's records, or everything (admin). */
export type ApiKeyScope = { admin: false; partnerId: string } | { admin: true; partnerId: null };

export interface ApiKeyState {
  id: string;
  scope: ApiKeyScope;
  name: string | null;
  secretHash: string;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** An API key as stored: never its secret, only the secret's hash. */
export class ApiKey {
  private constructor(private readonly state: ApiKeyState) {}

  /** A new key and its secret, which exists only in this return value. */
  static issue(scope: ApiKeyScope, name: string | null, now: Date): { key: ApiKey; secret: ApiKeySecret } {
    if (name !== null && (name.length > MAX_API_KEY_NAME_LENGTH || hasControlCharacter(name))) {
      throw new InvalidApiKeyRequestError(
        `--name must be at most ${MAX_API_KEY_NAME_LENGTH} characters, without control characters.`,
      );
    }
    const secret = ApiKeySecret.generate();
    const key = new ApiKey({
      id: uuidv7(),
      scope,
      name,
      secretHash: secret.hash(),
      createdAt: now.toISOString(),
      revokedAt: null,
      lastUsedAt: null,
    });
    return { key, secret };
  }

  static restore(state: ApiKeyState): ApiKey {
    return new ApiKey(state);
  }

  get id(): string {
    return this.state.id;
  }

  get scope(): ApiKeyScope {
    return this.state.scope;
  }

  get name(): string | null {
    return this.state.name;
  }

  get secretHash(): string {
    return this.state.secretHash;
  }

  get createdAt(): string {
    return this.state.createdAt;
  }

  get revokedAt(): string | null {
    return this.state.revokedAt;
  }

  get lastUsedAt(): string | null {
    return this.state.lastUsedAt;
  }

  get isRevoked(): boolean {
    return this.state.revokedAt !== null;
  }
}

function hasControlCharacter(text: string): boolean {
  return [...text].some((character) => character < ' ' || character === '\u007f');
}
