import { PartnerAccessDeniedError } from './access.errors';
import { ApiKey } from './api-key.entity';
import { Principal } from './principal.value-object';

const NOW = new Date('2026-12-01T10:00:00.000Z');

describe('Principal', () => {
  const partner = Principal.of(ApiKey.issue({ admin: false, partnerId: 'acme' }, null, NOW).key);
  const admin = Principal.of(ApiKey.issue({ admin: true, partnerId: null }, null, NOW).key);

  it('of a partner key reaches only its partner, exactly as spelled', () => {
    expect(partner.mayReach('acme')).toBe(true);
    expect(partner.mayReach('ACME')).toBe(false);
    expect(partner.mayReach('acme2')).toBe(false);
    expect(() => partner.assertMayReach(['acme', 'acme'])).not.toThrow();
    expect(() => partner.assertMayReach(['acme', 'globex'])).toThrow(PartnerAccessDeniedError);
    expect(() => partner.assertMayReachAll()).toThrow(PartnerAccessDeniedError);
  });

  it('of an admin key, and open access, reach every partner and everything', () => {
    for (const principal of [admin, Principal.open()]) {
      expect(principal.mayReach('globex')).toBe(true);
      expect(() => principal.assertMayReach(['acme', 'globex'])).not.toThrow();
      expect(() => principal.assertMayReachAll()).not.toThrow();
    }
  });

  it('names its key; open access has none', () => {
    expect(partner.keyId).toEqual(expect.any(String));
    expect(partner.partnerId).toBe('acme');
    expect(admin.partnerId).toBeNull();
    expect(Principal.open().keyId).toBeNull();
  });

  it('says which partner the key is scoped to when it refuses', () => {
    expect(() => partner.assertMayReach(['globex'])).toThrow(/may not reach partner 'globex'.*scoped to 'acme'/);
    expect(() => partner.assertMayReachAll()).toThrow(/\/ingest\/partner\/acme/);
  });
});
