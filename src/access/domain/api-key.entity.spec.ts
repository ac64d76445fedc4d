import { InvalidApiKeyRequestError } from './access.errors';
import { ApiKey, MAX_API_KEY_NAME_LENGTH } from './api-key.entity';
import { ApiKeySecret } from './api-key-secret.value-object';

const NOW = new Date('2026-12-01T10:00:00.000Z');
const PARTNER = { admin: false, partnerId: 'acme' } as const;

describe('ApiKey', () => {
  describe('issue', () => {
    it('stores the hash of a new secret, never the secret, and starts unused and not revoked', () => {
      const { key, secret } = ApiKey.issue(PARTNER, 'acme production', NOW);

      expect(key.secretHash).toBe(secret.hash());
      expect(ApiKeySecret.parse(secret.value)).not.toBeNull();
      expect(key.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(key.scope).toEqual(PARTNER);
      expect(key.name).toBe('acme production');
      expect(key.createdAt).toBe('2026-12-01T10:00:00.000Z');
      expect(key.revokedAt).toBeNull();
      expect(key.lastUsedAt).toBeNull();
      expect(key.isRevoked).toBe(false);
    });

    it('gives every key its own id and secret', () => {
      const first = ApiKey.issue(PARTNER, null, NOW);
      const second = ApiKey.issue(PARTNER, null, NOW);

      expect(first.key.id).not.toBe(second.key.id);
      expect(first.key.secretHash).not.toBe(second.key.secretHash);
    });

    it('accepts no name, and a name of 200 characters with spaces and non-ASCII letters', () => {
      expect(ApiKey.issue(PARTNER, null, NOW).key.name).toBeNull();
      const name = `ops ~ é${'n'.repeat(MAX_API_KEY_NAME_LENGTH - 7)}`;
      expect(name).toHaveLength(200);

      expect(ApiKey.issue(PARTNER, name, NOW).key.name).toBe(name);
    });

    it.each([
      ['201 characters', 'n'.repeat(MAX_API_KEY_NAME_LENGTH + 1)],
      ['a newline', 'acme\nproduction'],
      ['a tab', 'acme\tproduction'],
      ['U+001F, the last C0 control', 'acme\u001f'],
      ['NUL', '\u0000'],
      ['DEL', 'acme\u007f'],
    ])('refuses a name with %s, and says what a name may hold', (_case, name) => {
      expect(() => ApiKey.issue(PARTNER, name, NOW)).toThrow(
        new InvalidApiKeyRequestError('--name must be at most 200 characters, without control characters.'),
      );
      expect(() => ApiKey.issue(PARTNER, name, NOW)).toThrow(InvalidApiKeyRequestError);
    });
  });

  it('is revoked once it has a revocation time, and restores every field as stored', () => {
    const state = {
      id: '019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69',
      scope: { admin: true, partnerId: null } as const,
      name: null,
      secretHash: 'ab'.repeat(32),
      createdAt: '2026-12-01T10:00:00.000Z',
      revokedAt: '2026-12-02T10:00:00.000Z',
      lastUsedAt: '2026-12-01T11:00:00.000Z',
    };

    const key = ApiKey.restore(state);

    expect(key.isRevoked).toBe(true);
    expect({
      id: key.id,
      scope: key.scope,
      name: key.name,
      secretHash: key.secretHash,
      createdAt: key.createdAt,
      revokedAt: key.revokedAt,
      lastUsedAt: key.lastUsedAt,
    }).toEqual(state);
    expect(ApiKey.restore({ ...state, revokedAt: null }).isRevoked).toBe(false);
  });
});
