import { ApiKey } from '../../src/access/domain/api-key.entity';
import { ApiKeyRepository } from '../../src/access/domain/api-key.repository';
import type { StreamTokenGrant } from '../../src/access/domain/stream-token.value-object';

/** Keys in memory, counting the lookups the authenticator makes. */
export class InMemoryApiKeyRepository extends ApiKeyRepository {
  private readonly keys = new Map<string, ApiKey>();
  readonly streamTokens = new Map<string, StreamTokenGrant>();
  secretLookups = 0;
  idLookups = 0;
  existenceChecks = 0;
  readonly uses: string[] = [];

  async add(key: ApiKey): Promise<void> {
    this.keys.set(key.id, key);
  }

  async list(): Promise<ApiKey[]> {
    return [...this.keys.values()];
  }

  async findById(id: string): Promise<ApiKey | null> {
    this.idLookups += 1;
    return this.keys.get(id) ?? null;
  }

  async findBySecretHash(secretHash: string): Promise<ApiKey | null> {
    this.secretLookups += 1;
    return [...this.keys.values()].find((key) => key.secretHash === secretHash) ?? null;
  }

  async revoke(id: string, at: Date): Promise<ApiKey | null> {
    const key = this.keys.get(id);
    if (key === undefined) return null;
    const revoked = ApiKey.restore({
      id: key.id,
      scope: key.scope,
      name: key.name,
      secretHash: key.secretHash,
      createdAt: key.createdAt,
      revokedAt: key.revokedAt ?? at.toISOString(),
      lastUsedAt: key.lastUsedAt,
    });
    this.keys.set(id, revoked);
    return revoked;
  }

  async anyCreated(): Promise<boolean> {
    this.existenceChecks += 1;
    return this.keys.size > 0;
  }

  async recordUse(id: string): Promise<void> {
    this.uses.push(id);
  }

  async addStreamToken(grant: StreamTokenGrant, now: Date): Promise<void> {
    for (const [digest, stored] of this.streamTokens) if (stored.expiresAt < now) this.streamTokens.delete(digest);
    this.streamTokens.set(grant.digest, grant);
  }

  async findStreamToken(digest: string): Promise<StreamTokenGrant | null> {
    return this.streamTokens.get(digest) ?? null;
  }
}
