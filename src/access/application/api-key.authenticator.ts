import { Injectable, Logger } from '@nestjs/common';
import { UnauthenticatedError } from '../domain/access.errors';
import type { ApiKey } from '../domain/api-key.entity';
import { ApiKeyRepository } from '../domain/api-key.repository';
import { ApiKeySecret } from '../domain/api-key-secret.value-object';
import { Principal } from '../domain/principal.value-object';
import { StreamToken } from '../domain/stream-token.value-object';

/** How long a lookup is reused: a key revoked on any instance is refused everywhere within this, plus one query. */
export const KEY_CACHE_TTL_MS = 500;
const MAX_CACHED_LOOKUPS = 10_000;
const USE_RECORD_INTERVAL_MS = 60_000;
const BEARER = /^Bearer +([^\s]+) *$/i;

interface FoundKey {
  key: ApiKey;
  principal: Principal;
  storedDigest: Buffer;
}

interface CachedLookup {
  expiresAt: number;
  found: Promise<FoundKey | null>;
  /** Once `found` has resolved: read without a turn of the microtask queue. */
  settled?: FoundKey | null;
}

/**
 * Turns a request's `Authorization` header into the principal it acts as. Lookups (found or
 * not) are cached by the secret's hash for `KEY_CACHE_TTL_MS`, concurrent ones share one query.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly logger = new Logger('Access');
  private readonly lookups = new Map<string, CachedLookup>();
  private readonly lookupsById = new Map<string, { expiresAt: number; found: Promise<ApiKey | null> }>();
  private readonly lastRecordedUse = new Map<string, number>();
  private accessControlOn = false;
  private accessControlCheckedUntil?: number;
  private pendingCheck?: Promise<boolean>;

  constructor(private readonly keys: ApiKeyRepository) {}

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!this.accessControlOn && !(await this.isAccessControlOn())) return Principal.open();
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (token === undefined) throw new UnauthenticatedError('missing_key');
    const secret = ApiKeySecret.parse(token);
    if (secret === null) throw new UnauthenticatedError('malformed_key');
    const digest = secret.digest();
    const lookup = this.lookup(digest);
    const found = lookup.settled !== undefined ? lookup.settled : await lookup.found;
    if (found === null || !secret.matches(found.storedDigest, digest)) throw new UnauthenticatedError('unknown_key');
    if (found.key.isRevoked) throw new UnauthenticatedError('revoked_key');
    this.recordUse(found.key.id);
    return found.principal;
  }

  /** A token from `POST /ingest/stream/token`, where a URL must carry the credential; never an API key. */
  async authenticateStreamToken(text: string): Promise<Principal> {
    if (!this.accessControlOn && !(await this.isAccessControlOn())) return Principal.open();
    const token = StreamToken.parse(text);
    if (token === null)
      throw new UnauthenticatedError(StreamToken.looksLikeOne(text) ? 'invalid_token' : 'malformed_key');
    const grant = await this.keys.findStreamToken(token.digest());
    if (grant === null || Date.now() >= grant.expiresAt.getTime()) throw new UnauthenticatedError('invalid_token');
    const key = await this.keyById(grant.keyId);
    if (key === null || key.isRevoked) throw new UnauthenticatedError('invalid_token');
    this.recordUse(key.id);
    return Principal.of(key);
  }

  /** For what lasts beyond its request (a stream): false once the principal's key is revoked, within KEY_CACHE_TTL_MS. */
  async isStillValid(principal: Principal): Promise<boolean> {
    if (principal.keyId === null) return true;
    const key = await this.keyById(principal.keyId);
    return key !== null && !key.isRevoked;
  }

  /** Off while no key was ever created; once one was, it stays on (revoking every key does not open the service). */
  async isAccessControlOn(): Promise<boolean> {
    if (this.accessControlOn) return true;
    const now = Date.now();
    if (this.accessControlCheckedUntil !== undefined && now < this.accessControlCheckedUntil) return false;
    this.pendingCheck ??= this.keys.anyCreated().finally(() => {
      this.pendingCheck = undefined;
    });
    const on = await this.pendingCheck;
    this.accessControlOn = on;
    this.accessControlCheckedUntil = Date.now() + KEY_CACHE_TTL_MS;
    return on;
  }

  private lookup(digest: Buffer): CachedLookup {
    const now = Date.now();
    const cacheKey = digest.toString('latin1');
    const cached = this.lookups.get(cacheKey);
    if (cached !== undefined && now < cached.expiresAt) return cached;
    if (this.lookups.size >= MAX_CACHED_LOOKUPS) this.lookups.clear();
    const lookup: CachedLookup = {
      expiresAt: now + KEY_CACHE_TTL_MS,
      found: this.keys
        .findBySecretHash(digest.toString('hex'))
        .then((key) =>
          key === null ? null : { key, principal: Principal.of(key), storedDigest: Buffer.from(key.secretHash, 'hex') },
        ),
    };
    lookup.found.then(
      (found) => (lookup.settled = found),
      () => this.lookups.delete(cacheKey),
    );
    this.lookups.set(cacheKey, lookup);
    return lookup;
  }

  private keyById(id: string): Promise<ApiKey | null> {
    const now = Date.now();
    const cached = this.lookupsById.get(id);
    if (cached !== undefined && now < cached.expiresAt) return cached.found;
    if (this.lookupsById.size >= MAX_CACHED_LOOKUPS) this.lookupsById.clear();
    const found = this.keys.findById(id);
    found.catch(() => this.lookupsById.delete(id));
    this.lookupsById.set(id, { expiresAt: now + KEY_CACHE_TTL_MS, found });
    return found;
  }

  /** `last_used_at` to the minute: one write per key and minute, never on the request's path. */
  private recordUse(id: string): void {
    const now = Date.now();
    if (now - (this.lastRecordedUse.get(id) ?? 0) < USE_RECORD_INTERVAL_MS) return;
    if (this.lastRecordedUse.size >= MAX_CACHED_LOOKUPS) this.lastRecordedUse.clear();
    this.lastRecordedUse.set(id, now);
    this.keys.recordUse(id, new Date(now)).catch((error: unknown) => {
      this.logger.warn(`could not record the use of API key ${id}: ${String(error)}`);
    });
  }
}
