import { Injectable, Logger } from '@nestjs/common';
import { UnauthenticatedError } from '../domain/access.errors';
import type { ApiKey } from '../domain/api-key.entity';
import { ApiKeyRepository } from '../domain/api-key.repository';
import { ApiKeySecret } from '../domain/api-key-secret.value-object';
import { Principal } from '../domain/principal.value-object';

/** How long a lookup is reused: a key revoked on any instance is refused everywhere within this, plus one query. */
export const KEY_CACHE_TTL_MS = 500;
const MAX_CACHED_LOOKUPS = 10_000;
const USE_RECORD_INTERVAL_MS = 60_000;
const BEARER = /^Bearer +([^\s]+) *$/i;

interface CachedLookup {
  expiresAt: number;
  found: Promise<{ key: ApiKey; principal: Principal } | null>;
}

/**
 * Turns a request's `Authorization` header into the principal it acts as. Lookups (found or
 * not) are cached by the secret's hash for `KEY_CACHE_TTL_MS`, concurrent ones share one query.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly logger = new Logger('Access');
  private readonly lookups = new Map<string, CachedLookup>();
  private readonly lastRecordedUse = new Map<string, number>();
  private accessControlOn = false;
  private accessControlCheckedUntil?: number;
  private pendingCheck?: Promise<boolean>;

  constructor(private readonly keys: ApiKeyRepository) {}

  async authenticate(authorization: string | undefined): Promise<Principal> {
    if (!(await this.isAccessControlOn())) return Principal.open();
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    if (token === undefined) throw new UnauthenticatedError('missing_key');
    const secret = ApiKeySecret.parse(token);
    if (secret === null) throw new UnauthenticatedError('malformed_key');
    const found = await this.lookup(secret);
    if (found === null || !secret.matches(found.key.secretHash)) throw new UnauthenticatedError('unknown_key');
    if (found.key.isRevoked) throw new UnauthenticatedError('revoked_key');
    this.recordUse(found.key.id);
    return found.principal;
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

  private lookup(secret: ApiKeySecret): CachedLookup['found'] {
    const hash = secret.hash();
    const now = Date.now();
    const cached = this.lookups.get(hash);
    if (cached !== undefined && now < cached.expiresAt) return cached.found;
    if (this.lookups.size >= MAX_CACHED_LOOKUPS) this.lookups.clear();
    const found = this.keys
      .findBySecretHash(hash)
      .then((key) => (key === null ? null : { key, principal: Principal.of(key) }));
    this.lookups.set(hash, { expiresAt: now + KEY_CACHE_TTL_MS, found });
    found.catch(() => this.lookups.delete(hash));
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
