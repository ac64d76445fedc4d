import { DataSource } from 'typeorm';
import { translateDatabaseError } from '../../../ingestion/infrastructure/persistence/database-errors';
import { ApiKey } from '../../domain/api-key.entity';
import { ApiKeyRepository } from '../../domain/api-key.repository';
import type { StreamTokenGrant } from '../../domain/stream-token.value-object';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const COLUMNS = `"id", "partner_id", "admin", "name", "secret_hash", "created_at", "revoked_at", "last_used_at"`;

interface ApiKeySql {
  /** (id, partner_id, admin, name, secret_hash, created_at). */
  add: string;
  list: string;
  /** (id) → the key. */
  byId: string;
  /** (secret_hash) → the key. */
  bySecretHash: string;
  /** (revoked_at, id) → the key as stored after it. */
  revoke: string;
  /** (last_used_at, id, last_used_at); never moves it back (another instance may have recorded a later use). */
  recordUse: string;
  anyCreated: string;
  /** (token_hash, api_key_id, expires_at). */
  addStreamToken: string;
  /** (now). */
  purgeStreamTokens: string;
  /** (token_hash) → api_key_id, expires_at. */
  streamToken: string;
}

const POSTGRES: ApiKeySql = {
  add: `INSERT INTO "api_keys" ("id", "partner_id", "admin", "name", "secret_hash", "created_at")
    VALUES ($1, $2, $3, $4, $5, $6)`,
  list: `SELECT ${COLUMNS} FROM "api_keys" ORDER BY "created_at", "id"`,
  byId: `SELECT ${COLUMNS} FROM "api_keys" WHERE "id" = $1`,
  bySecretHash: `SELECT ${COLUMNS} FROM "api_keys" WHERE "secret_hash" = $1`,
  // In a WITH: TypeORM answers an UPDATE on PostgreSQL with [rows, count], a SELECT with the rows.
  revoke: `WITH "revoked" AS (
      UPDATE "api_keys" SET "revoked_at" = COALESCE("revoked_at", $1) WHERE "id" = $2 RETURNING ${COLUMNS}
    ) SELECT ${COLUMNS} FROM "revoked"`,
  recordUse: `UPDATE "api_keys" SET "last_used_at" = $1
    WHERE "id" = $2 AND ("last_used_at" IS NULL OR "last_used_at" < $3)`,
  anyCreated: `SELECT EXISTS (SELECT 1 FROM "api_keys") AS "found"`,
  addStreamToken: `INSERT INTO "stream_tokens" ("token_hash", "api_key_id", "expires_at") VALUES ($1, $2, $3)`,
  purgeStreamTokens: `DELETE FROM "stream_tokens" WHERE "expires_at" < $1`,
  streamToken: `SELECT "api_key_id", "expires_at" FROM "stream_tokens" WHERE "token_hash" = $1`,
};

const SQLITE: ApiKeySql = {
  add: `INSERT INTO "api_keys" ("id", "partner_id", "admin", "name", "secret_hash", "created_at")
    VALUES (?, ?, ?, ?, ?, ?)`,
  list: POSTGRES.list,
  byId: `SELECT ${COLUMNS} FROM "api_keys" WHERE "id" = ?`,
  bySecretHash: `SELECT ${COLUMNS} FROM "api_keys" WHERE "secret_hash" = ?`,
  revoke: `UPDATE "api_keys" SET "revoked_at" = COALESCE("revoked_at", ?) WHERE "id" = ? RETURNING ${COLUMNS}`,
  recordUse: `UPDATE "api_keys" SET "last_used_at" = ?
    WHERE "id" = ? AND ("last_used_at" IS NULL OR "last_used_at" < ?)`,
  anyCreated: POSTGRES.anyCreated,
  addStreamToken: `INSERT INTO "stream_tokens" ("token_hash", "api_key_id", "expires_at") VALUES (?, ?, ?)`,
  purgeStreamTokens: `DELETE FROM "stream_tokens" WHERE "expires_at" < ?`,
  streamToken: `SELECT "api_key_id", "expires_at" FROM "stream_tokens" WHERE "token_hash" = ?`,
};

/** SQLite gives `admin` and EXISTS as 0/1, PostgreSQL as booleans; timestamps are RFC 3339 text on both. */
interface ApiKeyRow {
  id: string;
  partner_id: string | null;
  admin: boolean | number;
  name: string | null;
  secret_hash: string;
  created_at: string | Date;
  revoked_at: string | Date | null;
  last_used_at: string | Date | null;
}

/** The keys in the service's database, plain SQL per dialect; driver failures become StorageUnavailable/FullError. */
export class TypeOrmApiKeyRepository extends ApiKeyRepository {
  private readonly sql: ApiKeySql;

  constructor(private readonly dataSource: DataSource) {
    super();
    this.sql = dataSource.options.type === 'postgres' ? POSTGRES : SQLITE;
  }

  add(key: ApiKey): Promise<void> {
    return this.guarded(async () => {
      await this.dataSource.query(this.sql.add, [
        key.id,
        key.scope.partnerId,
        key.scope.admin,
        key.name,
        key.secretHash,
        key.createdAt,
      ]);
    });
  }

  list(): Promise<ApiKey[]> {
    return this.guarded(async () => (await this.rows(this.sql.list, [])).map(toDomain));
  }

  async findById(id: string): Promise<ApiKey | null> {
    if (!UUID.test(id)) return null;
    return this.guarded(async () => first(await this.rows(this.sql.byId, [id.toLowerCase()])));
  }

  findBySecretHash(secretHash: string): Promise<ApiKey | null> {
    return this.guarded(async () => first(await this.rows(this.sql.bySecretHash, [secretHash])));
  }

  async revoke(id: string, at: Date): Promise<ApiKey | null> {
    // PostgreSQL would refuse anything but a UUID with an error: for any database it is just not a key of ours.
    if (!UUID.test(id)) return null;
    return this.guarded(async () => first(await this.rows(this.sql.revoke, [at.toISOString(), id.toLowerCase()])));
  }

  anyCreated(): Promise<boolean> {
    return this.guarded(async () => {
      const [row] = await this.dataSource.query<Array<{ found: boolean | number }>>(this.sql.anyCreated);
      return isTrue(row.found);
    });
  }

  async recordUse(id: string, at: Date): Promise<void> {
    if (!UUID.test(id)) return;
    const time = at.toISOString();
    await this.guarded(() => this.dataSource.query(this.sql.recordUse, [time, id.toLowerCase(), time]));
  }

  addStreamToken(grant: StreamTokenGrant, now: Date): Promise<void> {
    return this.guarded(async () => {
      await this.dataSource.query(this.sql.purgeStreamTokens, [now.toISOString()]);
      await this.dataSource.query(this.sql.addStreamToken, [grant.digest, grant.keyId, grant.expiresAt.toISOString()]);
    });
  }

  findStreamToken(digest: string): Promise<StreamTokenGrant | null> {
    return this.guarded(async () => {
      const [row] = await this.dataSource.query<Array<{ api_key_id: string; expires_at: string | Date }>>(
        this.sql.streamToken,
        [digest],
      );
      return row === undefined ? null : { digest, keyId: row.api_key_id, expiresAt: new Date(row.expires_at) };
    });
  }

  private rows(sql: string, parameters: unknown[]): Promise<ApiKeyRow[]> {
    return this.dataSource.query<ApiKeyRow[]>(sql, parameters);
  }

  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }
}

function first(rows: ApiKeyRow[]): ApiKey | null {
  return rows.length === 0 ? null : toDomain(rows[0]);
}

function toDomain(row: ApiKeyRow): ApiKey {
  return ApiKey.restore({
    id: row.id,
    scope: isTrue(row.admin) ? { admin: true, partnerId: null } : { admin: false, partnerId: row.partner_id! },
    name: row.name,
    secretHash: row.secret_hash,
    createdAt: timestamp(row.created_at),
    revokedAt: row.revoked_at === null ? null : timestamp(row.revoked_at),
    lastUsedAt: row.last_used_at === null ? null : timestamp(row.last_used_at),
  });
}

function isTrue(value: boolean | number): boolean {
  return value === true || value === 1;
}

/** A DataSource without the service's type parsers gives PostgreSQL's timestamps as Date. */
function timestamp(value: string | Date): string {
  return value instanceof Date ? value.toISOString() : value;
}
