import type { ApiKey } from '../../domain/api-key.entity';

/** A key as `npm run keys -- list` prints it: never the secret. */
export interface ApiKeyView {
  id: string;
  partner_id: string | null;
  admin: boolean;
  name: string | null;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

/** A new key as `npm run keys -- create` prints it, with its secret, shown this once. */
export interface CreatedApiKeyView {
  id: string;
  key: string;
  partner_id: string | null;
  admin: boolean;
  name: string | null;
  created_at: string;
}

export function apiKeyView(key: ApiKey): ApiKeyView {
  return {
    id: key.id,
    partner_id: key.scope.partnerId,
    admin: key.scope.admin,
    name: key.name,
    created_at: key.createdAt,
    revoked_at: key.revokedAt,
    last_used_at: key.lastUsedAt,
  };
}
