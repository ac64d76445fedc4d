import type { ApiKey } from './api-key.entity';
import type { StreamTokenGrant } from './stream-token.value-object';

/** Port to the keys' storage. */
export abstract class ApiKeyRepository {
  abstract add(key: ApiKey): Promise<void>;

  /** Oldest first. */
  abstract list(): Promise<ApiKey[]>;

  abstract findById(id: string): Promise<ApiKey | null>;

  abstract findBySecretHash(secretHash: string): Promise<ApiKey | null>;

  /** Sets `revoked_at` unless it is set already; resolves to the key as stored, null for an unknown id. */
  abstract revoke(id: string, at: Date): Promise<ApiKey | null>;

  /** Whether any key was ever created, revoked ones included: once one was, access control stays on. */
  abstract anyCreated(): Promise<boolean>;

  abstract recordUse(id: string, at: Date): Promise<void>;

  /** Stores a stream token's grant, and drops the grants expired before `now`. */
  abstract addStreamToken(grant: StreamTokenGrant, now: Date): Promise<void>;

  abstract findStreamToken(digest: string): Promise<StreamTokenGrant | null>;
}
