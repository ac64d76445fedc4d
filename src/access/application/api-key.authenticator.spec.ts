import { createHmac } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { InMemoryApiKeyRepository } from '../../../test/fakes/in-memory-api-key.repository';
import { UnauthenticatedError } from '../domain/access.errors';
import { ApiKey } from '../domain/api-key.entity';
import { Principal } from '../domain/principal.value-object';
import { StreamToken } from '../domain/stream-token.value-object';
import { ApiKeyAuthenticator, KEY_CACHE_TTL_MS } from './api-key.authenticator';

describe('ApiKeyAuthenticator', () => {
  let keys: InMemoryApiKeyRepository;
  let authenticator: ApiKeyAuthenticator;
  let now: number;

  beforeEach(() => {
    now = Date.parse('2026-12-01T10:00:00.000Z');
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    keys = new InMemoryApiKeyRepository();
    authenticator = new ApiKeyAuthenticator(keys);
  });

  afterEach(() => jest.restoreAllMocks());

  async function issue(partnerId: string | null): Promise<string> {
    const scope =
      partnerId === null ? ({ admin: true, partnerId: null } as const) : ({ admin: false, partnerId } as const);
    const { key, secret } = ApiKey.issue(scope, null, new Date(now));
    await keys.add(key);
    return secret.value;
  }

  const refusal = (authorization: string | undefined) =>
    authenticator.authenticate(authorization).then(
      () => 'accepted',
      (error: UnauthenticatedError) => error.reason,
    );

  it('is open while no key was ever created, whatever the header, and asks again after the cache time', async () => {
    expect(await authenticator.authenticate(undefined)).toBe(Principal.open());
    expect(await authenticator.authenticate('Bearer nonsense')).toBe(Principal.open());
    expect(keys.existenceChecks).toBe(1);

    await issue('acme');
    expect(await authenticator.authenticate(undefined)).toBe(Principal.open());
    now += KEY_CACHE_TTL_MS;
    expect(await refusal(undefined)).toBe('missing_key');
    expect(keys.existenceChecks).toBe(2);
  });

  it('once on, stays on without asking again, also when every key is revoked', async () => {
    const secret = await issue('acme');
    await authenticator.authenticate(`Bearer ${secret}`);
    const [key] = await keys.list();
    await keys.revoke(key.id, new Date(now));
    now += 60_000;
    expect(await refusal(`Bearer ${secret}`)).toBe('revoked_key');
    expect(await refusal(undefined)).toBe('missing_key');
    expect(keys.existenceChecks).toBe(1);
  });

  it('names why it refuses: no Bearer credentials, a text that is no key of ours, an unknown key', async () => {
    await issue('acme');
    expect(await refusal(undefined)).toBe('missing_key');
    expect(await refusal('')).toBe('missing_key');
    expect(await refusal('Basic YWNtZTpzZWNyZXQ=')).toBe('missing_key');
    expect(await refusal('Bearer')).toBe('missing_key');
    expect(await refusal('Bearer a b')).toBe('missing_key');
    expect(await refusal('Bearer sk_live_123')).toBe('malformed_key');
    expect(await refusal(`Bearer ik_${'A'.repeat(43)}`)).toBe('unknown_key');
  });

  it("resolves a key to its scope's principal", async () => {
    const partner = await issue('acme');
    const admin = await issue(null);
    const principal = await authenticator.authenticate(`Bearer ${partner}`);
    expect([principal.partnerId, principal.admin, principal.keyId]).toEqual(['acme', false, expect.any(String)]);
    expect((await authenticator.authenticate(`bearer   ${admin}`)).admin).toBe(true);
  });

  it('caches a lookup, found or not, for KEY_CACHE_TTL_MS; concurrent ones share one query', async () => {
    const secret = await issue('acme');
    await Promise.all(Array.from({ length: 10 }, () => authenticator.authenticate(`Bearer ${secret}`)));
    expect(keys.secretLookups).toBe(1);
    const unknown = `Bearer ik_${'C'.repeat(43)}`;
    await refusal(unknown);
    await refusal(unknown);
    expect(keys.secretLookups).toBe(2);

    now += KEY_CACHE_TTL_MS - 1;
    await authenticator.authenticate(`Bearer ${secret}`);
    expect(keys.secretLookups).toBe(2);
    now += 1;
    await authenticator.authenticate(`Bearer ${secret}`);
    expect(keys.secretLookups).toBe(3);
  });

  it('refuses a revoked key once its cached lookup expires (within 1 second)', async () => {
    const secret = await issue('acme');
    await authenticator.authenticate(`Bearer ${secret}`);
    const [key] = await keys.list();
    await keys.revoke(key.id, new Date(now));
    now += KEY_CACHE_TTL_MS;
    expect(KEY_CACHE_TTL_MS).toBeLessThan(1_000);
    expect(await refusal(`Bearer ${secret}`)).toBe('revoked_key');
  });

  it('does not cache a failed lookup', async () => {
    const secret = await issue('acme');
    const failure = new Error('database down');
    jest.spyOn(keys, 'findBySecretHash').mockRejectedValueOnce(failure);
    await expect(authenticator.authenticate(`Bearer ${secret}`)).rejects.toBe(failure);
    expect((await authenticator.authenticate(`Bearer ${secret}`)).partnerId).toBe('acme');
  });

  it('keeps at most 10 000 cached lookups: the next one starts the cache afresh', async () => {
    const secret = await issue('acme');
    await authenticator.authenticate(`Bearer ${secret}`);
    const unknown = (n: number) => `Bearer ik_${n.toString().padStart(43, 'A')}`;
    for (let n = 0; n < 9_999; n++) await refusal(unknown(n));
    await authenticator.authenticate(`Bearer ${secret}`);
    expect(keys.secretLookups).toBe(10_000);

    await refusal(unknown(10_000));
    await authenticator.authenticate(`Bearer ${secret}`);

    expect(keys.secretLookups).toBe(10_002);
  });

  it('answers the request when recording its use fails, and logs a warning that names the key', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(keys, 'recordUse').mockRejectedValue(new Error('database is locked'));
    const secret = await issue('acme');
    const [key] = await keys.list();

    expect((await authenticator.authenticate(`Bearer ${secret}`)).keyId).toBe(key.id);
    await new Promise(setImmediate);

    expect(warn).toHaveBeenCalledWith(`could not record the use of API key ${key.id}: Error: database is locked`);
  });

  it('records a key’s use at most once a minute', async () => {
    const secret = await issue('acme');
    for (let n = 0; n < 5; n++) await authenticator.authenticate(`Bearer ${secret}`);
    now += 59_999;
    await authenticator.authenticate(`Bearer ${secret}`);
    expect(keys.uses.length).toBe(1);
    now += 1;
    await authenticator.authenticate(`Bearer ${secret}`);
    expect(keys.uses.length).toBe(2);
  });
  describe('stream tokens and streams that outlive their request', () => {
    async function issueKey(): Promise<ApiKey> {
      const { key } = ApiKey.issue({ admin: false, partnerId: 'acme' }, null, new Date(now));
      await keys.add(key);
      return key;
    }

    const tokenRefusal = (text: string) =>
      authenticator.authenticateStreamToken(text).then(
        () => 'accepted',
        (error: UnauthenticatedError) => error.reason,
      );

    async function issueToken(key: ApiKey, expiresAt = new Date(now + 60_000)): Promise<string> {
      const token = StreamToken.generate();
      await keys.addStreamToken(token.grant(key.id, expiresAt), new Date(now));
      return token.value;
    }

    it("accepts a stored token of a live key until it expires, with that key's scope", async () => {
      const key = await issueKey();
      const token = await issueToken(key);

      expect(await authenticator.authenticateStreamToken(token)).toEqual(Principal.of(key));
      now += 59_999;
      expect(await authenticator.authenticateStreamToken(token)).toEqual(Principal.of(key));
      now += 1;
      expect(await tokenRefusal(token)).toBe('invalid_token');
    });

    it('refuses a token once its key is revoked, a token never stored, and an API key in its place', async () => {
      const key = await issueKey();
      const token = await issueToken(key);

      expect(await tokenRefusal(StreamToken.generate().value)).toBe('invalid_token');
      expect(await tokenRefusal(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBe('invalid_token');
      expect(await tokenRefusal(`st_${key.id}`)).toBe('invalid_token');
      expect(await tokenRefusal(await issue('acme'))).toBe('malformed_key');
      await keys.revoke(key.id, new Date(now));
      now += KEY_CACHE_TTL_MS;
      expect(await tokenRefusal(token)).toBe('invalid_token');
    });

    it("refuses a token built from the key's stored hash (what a stolen backup holds)", async () => {
      const key = await issueKey();
      await issueToken(key);
      const expiresAt = now + 60_000;
      const signature = createHmac('sha256', Buffer.from(key.secretHash, 'hex'))
        .update(`stream-token\n${key.id}\n${expiresAt}`)
        .digest('base64url');

      expect(await tokenRefusal(`st_${key.id}.${expiresAt}.${signature}`)).toBe('invalid_token');
      expect(await tokenRefusal(`st_${signature}`)).toBe('invalid_token');
      expect(await tokenRefusal(`st_${key.secretHash.slice(0, 43)}`)).toBe('invalid_token');
    });

    it('tells a stream its key was revoked within the cache time, with one lookup per key for all its streams', async () => {
      const key = await issueKey();
      const principal = Principal.of(key);

      expect(await Promise.all([1, 2, 3].map(() => authenticator.isStillValid(principal)))).toEqual([true, true, true]);
      expect(keys.idLookups).toBe(1);
      await keys.revoke(key.id, new Date(now));
      expect(await authenticator.isStillValid(principal)).toBe(true);
      now += KEY_CACHE_TTL_MS;
      expect(await authenticator.isStillValid(principal)).toBe(false);
      expect(await authenticator.isStillValid(Principal.open())).toBe(true);
    });

    it('does not cache a failed lookup by id', async () => {
      const key = await issueKey();
      const failure = new Error('database down');
      jest.spyOn(keys, 'findById').mockRejectedValueOnce(failure);

      await expect(authenticator.isStillValid(Principal.of(key))).rejects.toBe(failure);
      await new Promise(setImmediate);
      expect(await authenticator.isStillValid(Principal.of(key))).toBe(true);
    });
  });
});
