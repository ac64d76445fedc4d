import Database from 'better-sqlite3';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ApiKey } from '../src/access/domain/api-key.entity';
import { StreamToken } from '../src/access/domain/stream-token.value-object';
import { runKeysCli } from '../src/access/infrastructure/cli/keys.cli';
import { TypeOrmApiKeyRepository } from '../src/access/infrastructure/persistence/typeorm-api-key.repository';
import { createMigratedDataSource, dataSourceOptions } from '../src/config/database.options';
import { validateEnvironment } from '../src/config/validate-environment';
import { StorageUnavailableError } from '../src/ingestion/domain/ingestion.errors';
import { type Finished, runSourceCli } from './support/cli';
import { createTestDatabase, TestDatabase } from './support/database';
import { get, RFC3339_UTC_MS, UUID_V7, waitFor } from './support/http';
import { createTestApp } from './support/test-app';

jest.setTimeout(120000);

const ROOT = join(__dirname, '..');
const KEYS = join(ROOT, 'src/keys.ts');

const SECRET = /^ik_[A-Za-z0-9_-]{43}$/;
const CREATED_FIELDS = ['id', 'key', 'partner_id', 'admin', 'name', 'created_at'];
const LISTED_FIELDS = ['id', 'partner_id', 'admin', 'name', 'created_at', 'revoked_at', 'last_used_at'];

interface CreatedLine {
  id: string;
  key: string;
  partner_id: string | null;
  admin: boolean;
  name: string | null;
  created_at: string;
}

interface KeyLine {
  id: string;
  partner_id: string | null;
  admin: boolean;
  name: string | null;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

/** Every stdout any run printed: the suite checks at the end that it held JSON lines only. */
const printed: string[] = [];

/** Runs src/keys.ts as a process of its own. */
async function runKeys(args: string[], variables: Record<string, string>, cwd: string): Promise<Finished> {
  const finished = await runSourceCli(KEYS, args, variables, cwd);
  printed.push(finished.stdout);
  return finished;
}

/** A stream that keeps what is written to it. */
function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

/**
 * The CLI's work (runKeysCli, which src/keys.ts runs) in this process: the same parsing, module,
 * database and output as a run of the process, without starting Node with the TypeScript loader
 * each time. The specs that need the process itself (exit codes, .env, logs) use runKeys.
 */
async function runKeysHere(args: string[], variables: Record<string, string>): Promise<Finished> {
  const stdout = collector();
  const stderr = collector();
  const code = await runKeysCli(args, { stdout: stdout.stream, stderr: stderr.stream }, variables);
  printed.push(stdout.text());
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Runs of the CLI two at a time: more at once only makes each slower on a small CI machine. */
async function runAll(argsList: string[][], run: (...args: string[]) => Promise<Finished>): Promise<Finished[]> {
  const results: Finished[] = [];
  for (let index = 0; index < argsList.length; index += 2) {
    results.push(...(await Promise.all(argsList.slice(index, index + 2).map((args) => run(...args)))));
  }
  return results;
}

function jsonLines<T>(stdout: string): T[] {
  expect(stdout.endsWith('\n')).toBe(true);
  return stdout
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as T);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `admin` as each database stores it. */
function storedBoolean(database: TestDatabase, value: boolean): boolean | number {
  return database.kind === 'postgres' ? value : Number(value);
}

describe('the keys CLI (src/keys.ts)', () => {
  let database: TestDatabase;
  let folder: string;
  const keys = (...args: string[]) => runKeysHere(args, { DATABASE_URL: database.url, LOG_LEVEL: 'warn' });

  async function create(...args: string[]): Promise<CreatedLine> {
    const result = await keys('create', ...args);
    expect(result).toMatchObject({ code: 0 });
    const lines = jsonLines<CreatedLine>(result.stdout);
    expect(lines).toHaveLength(1);
    expect(result.stderr).not.toContain(lines[0].key);
    return lines[0];
  }

  async function list(): Promise<KeyLine[]> {
    const result = await keys('list');
    expect(result).toMatchObject({ code: 0 });
    return result.stdout === '' ? [] : jsonLines<KeyLine>(result.stdout);
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    folder = mkdtempSync(join(tmpdir(), 'ingestion-keys-'));
  });

  afterAll(async () => {
    rmSync(folder, { recursive: true, force: true });
    await database?.remove();
  });

  it('lists nothing on a fresh database (which it migrates)', async () => {
    const result = await keys('list');
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(await database.query('SELECT "id" FROM "api_keys"')).toEqual([]);
  });

  it('creates a partner key: one JSON line, the secret shown once, only its SHA-256 stored', async () => {
    const created = await create('--partner', 'acme', '--name', 'Acme production');

    expect(Object.keys(created)).toEqual(CREATED_FIELDS);
    expect(created).toEqual({
      id: expect.stringMatching(UUID_V7),
      key: expect.stringMatching(SECRET),
      partner_id: 'acme',
      admin: false,
      name: 'Acme production',
      created_at: expect.stringMatching(RFC3339_UTC_MS),
    });
    expect(created.key).toHaveLength(46);
    const rows = await database.query<Record<string, unknown>>('SELECT * FROM "api_keys" WHERE "id" = ?', created.id);
    expect(rows).toEqual([
      {
        id: created.id,
        partner_id: 'acme',
        admin: storedBoolean(database, false),
        name: 'Acme production',
        secret_hash: sha256(created.key),
        created_at: created.created_at,
        revoked_at: null,
        last_used_at: null,
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain(created.key.slice(3));
  });

  it('creates an admin key, with partner_id null, and a key that differs from every other', async () => {
    const created = await create('--admin');

    expect(Object.keys(created)).toEqual(CREATED_FIELDS);
    expect(created).toMatchObject({ partner_id: null, admin: true, name: null });
    expect(created.key).toMatch(SECRET);
    const [row] = await database.query<{ secret_hash: string; admin: unknown }>(
      'SELECT "secret_hash", "admin" FROM "api_keys" WHERE "id" = ?',
      created.id,
    );
    expect(row).toEqual({ secret_hash: sha256(created.key), admin: storedBoolean(database, true) });
    const hashes = await database.query<{ secret_hash: string }>('SELECT "secret_hash" FROM "api_keys"');
    expect(new Set(hashes.map((hash) => hash.secret_hash)).size).toBe(hashes.length);
  });

  it('lists every key, oldest first, one line each, never the secret', async () => {
    const newest = await create('--partner', 'globex', '--name', 'with "quotes", ünïcode and a \\ backslash');

    const listed = await list();
    expect(listed.length).toBeGreaterThanOrEqual(3);
    for (const line of listed) expect(Object.keys(line)).toEqual(LISTED_FIELDS);
    expect(listed.map((line) => line.created_at)).toEqual(listed.map((line) => line.created_at).sort());
    expect(listed[listed.length - 1]).toEqual({
      id: newest.id,
      partner_id: 'globex',
      admin: false,
      name: 'with "quotes", ünïcode and a \\ backslash',
      created_at: newest.created_at,
      revoked_at: null,
      last_used_at: null,
    });
    expect(JSON.stringify(listed)).not.toContain(newest.key);
    expect(JSON.stringify(listed)).not.toContain('ik_');
  });

  it('revokes a key: prints its line with revoked_at; a second revoke keeps the first time', async () => {
    const created = await create('--partner', 'initech');

    const first = await keys('revoke', created.id);
    expect(first).toMatchObject({ code: 0 });
    const [revoked] = jsonLines<KeyLine>(first.stdout);
    expect(Object.keys(revoked)).toEqual(LISTED_FIELDS);
    expect(revoked).toEqual({
      id: created.id,
      partner_id: 'initech',
      admin: false,
      name: null,
      created_at: created.created_at,
      revoked_at: expect.stringMatching(RFC3339_UTC_MS),
      last_used_at: null,
    });
    expect(Date.parse(revoked.revoked_at!)).toBeGreaterThanOrEqual(Date.parse(created.created_at));

    const again = await keys('revoke', created.id.toUpperCase());
    expect(again).toMatchObject({ code: 0 });
    expect(jsonLines(again.stdout)).toEqual([revoked]);

    const listed = await list();
    expect(listed.find((line) => line.id === created.id)).toEqual(revoked);
    expect(listed.filter((line) => line.id !== created.id).every((line) => line.revoked_at === null)).toBe(true);
  });

  it('exits 1 with nothing on stdout when revoke names no key (a UUID or not)', async () => {
    for (const id of ['019ad3a1-7c2e-7b3d-8f4a-000000000001', 'not-a-uuid', "'; DROP TABLE api_keys; --"]) {
      const result = await keys('revoke', id);
      expect(result).toMatchObject({ code: 1, stdout: '' });
      expect(result.stderr).toContain('No API key with id');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('exits 2 on a usage error, with the usage on stderr and nothing on stdout, and creates nothing', async () => {
    const before = await list();
    const misuses = [
      [],
      ['frobnicate'],
      ['--partner', 'acme'],
      ['create'],
      ['create', '--name', 'no scope'],
      ['create', '--admin', '--partner', 'acme'],
      ['create', '--partner'],
      ['create', '--partner', 'acme', '--partner', 'globex'],
      ['create', '--partner', 'acme', 'extra'],
      ['create', '--admin', '--bogus'],
      ['create', '--admin', '--name'],
      ['list', '--all'],
      ['list', 'extra'],
      ['revoke'],
      ['revoke', before[0].id, before[1].id],
    ];
    const results = await runAll(misuses, keys);
    results.forEach((result, index) => {
      expect({ args: misuses[index], ...result }).toMatchObject({ args: misuses[index], code: 2, stdout: '' });
      expect(result.stderr).toMatch(/^keys: .+\nusage: /);
    });
    expect(await list()).toEqual(before);
  });

  it('exits 2 on a partner id or a name the service would refuse', async () => {
    const before = await list();
    const refused = [
      ['--partner', '../etc'],
      ['--partner', ''],
      ['--partner', 'a'.repeat(65)],
      ['--partner', 'acme', '--name', 'x'.repeat(201)],
      ['--admin', '--name', 'line\nbreak'],
    ];
    const results = await runAll(refused, (...args) => keys('create', ...args));
    results.forEach((result, index) => {
      expect({ args: refused[index], ...result }).toMatchObject({ args: refused[index], code: 2, stdout: '' });
      expect(result.stderr).toMatch(/^keys: (--partner|--name)/);
    });
    expect(await list()).toEqual(before);
  });

  it('reads DATABASE_URL from .env in its working directory; the environment wins over it', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'ingestion-keys-env-'));
    try {
      writeFileSync(join(elsewhere, '.env'), `DATABASE_URL=${database.url}\nLOG_LEVEL=warn\n`);
      const fromFile = await runKeys(['list'], {}, elsewhere);
      expect(fromFile).toMatchObject({ code: 0 });
      expect(jsonLines(fromFile.stdout)).toEqual(await list());

      writeFileSync(join(elsewhere, '.env'), 'DATABASE_URL=mysql://localhost/db\n');
      const fromEnvironment = await runKeys(['list'], { DATABASE_URL: database.url }, elsewhere);
      expect(fromEnvironment).toMatchObject({ code: 0 });
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('exits 1 with a message (no stack, no password) on a bad setting or a database it cannot use', async () => {
    const failing: Array<[Record<string, string>, RegExp]> = [
      [{ DATABASE_URL: 'mysql://localhost/db' }, /DATABASE_URL/],
      [{ DATABASE_URL: database.url, DATABASE_POOL_SIZE: 'many' }, /DATABASE_POOL_SIZE/],
      [
        { DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:1/ingestion', DATABASE_CONNECT_RETRIES: '0' },
        /database not reachable \(ECONNREFUSED\)/,
      ],
      // A directory where the SQLite file should be.
      [{ DATABASE_URL: `sqlite:${folder}` }, /database cannot be written/],
    ];
    for (const [variables, message] of failing) {
      const result = await runKeys(['create', '--admin'], variables, folder);
      expect({ variables, ...result }).toMatchObject({ variables, code: 1, stdout: '' });
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.stderr).not.toContain('secret');
    }
  });

  it('printed nothing but JSON lines on stdout, in any of its runs', () => {
    expect(printed.length).toBeGreaterThan(20);
    expect(printed.filter((stdout) => stdout !== '').length).toBeGreaterThan(5);
    for (const stdout of printed) {
      if (stdout === '') continue;
      for (const line of jsonLines<unknown>(stdout)) expect(line).toEqual(expect.any(Object));
    }
  });

  describe('while the service runs on the same database', () => {
    let app: NestFastifyApplication;
    let shared: TestDatabase;

    beforeAll(async () => {
      shared = await createTestDatabase();
      app = await createTestApp(shared);
    });

    afterAll(async () => {
      await app?.close();
      await shared?.remove();
    });

    it('creates a key the service then requires, and revokes it: the service refuses it within a second', async () => {
      const run = (...args: string[]) => runKeys(args, { DATABASE_URL: shared.url }, folder);
      expect((await get(app, '/ingest/all?limit=1')).statusCode).toBe(200);

      const created = await run('create', '--admin', '--name', 'while serving');
      expect(created).toMatchObject({ code: 0 });
      const [{ id, key }] = jsonLines<CreatedLine>(created.stdout);
      const logged = jsonLines<{ msg: string }>(created.stderr).map((line) => line.msg);
      expect(logged).toContain(`API key ${id} created (admin, name "while serving")`);
      expect(created.stderr).not.toContain(key);

      await waitFor(async () => (await get(app, '/ingest/all?limit=1')).statusCode === 401, 'a key to be required');
      expect((await get(app, '/ingest/all?limit=1', { authorization: `Bearer ${key}` })).statusCode).toBe(200);

      const revoked = await run('revoke', id);
      const revokedAt = Date.now();
      expect(revoked).toMatchObject({ code: 0 });
      expect(jsonLines(revoked.stdout)).toEqual([
        expect.objectContaining({ id, admin: true, revoked_at: expect.stringMatching(RFC3339_UTC_MS) }),
      ]);
      await waitFor(
        async () => (await get(app, '/ingest/all?limit=1', { authorization: `Bearer ${key}` })).statusCode === 401,
        'the revoked key to be refused',
        1000,
      );
      expect(Date.now() - revokedAt).toBeLessThan(1000);
      const listed = await run('list');
      expect(jsonLines<KeyLine>(listed.stdout)).toEqual([
        expect.objectContaining({ id, revoked_at: expect.stringMatching(RFC3339_UTC_MS) }),
      ]);
    });
  });
});

describe('TypeOrmApiKeyRepository', () => {
  let database: TestDatabase;
  let dataSources: DataSource[];

  async function openDataSource(variables: Record<string, string> = {}): Promise<DataSource> {
    const environment = validateEnvironment({ ...variables, DATABASE_URL: database.url });
    const dataSource = await createMigratedDataSource({ ...dataSourceOptions(environment), logging: false });
    dataSources.push(dataSource);
    return dataSource;
  }

  function issue(scope: Parameters<typeof ApiKey.issue>[0], at: string, name: string | null = null) {
    return ApiKey.issue(scope, name, new Date(at));
  }

  beforeEach(async () => {
    dataSources = [];
    database = await createTestDatabase();
  });

  afterEach(async () => {
    for (const dataSource of dataSources) {
      if (dataSource.isInitialized) await dataSource.destroy();
    }
    await database.remove();
  });

  it('adds, finds by secret hash and by id, lists oldest first, records uses, revokes once', async () => {
    const repository = new TypeOrmApiKeyRepository(await openDataSource());
    expect(await repository.anyCreated()).toBe(false);
    expect(await repository.list()).toEqual([]);

    const partner = issue({ admin: false, partnerId: 'acme' }, '2026-11-29T10:31:05.123Z', 'acme key');
    const admin = issue({ admin: true, partnerId: null }, '2026-11-29T10:31:06.000Z');
    await repository.add(admin.key);
    await repository.add(partner.key);
    expect(await repository.anyCreated()).toBe(true);

    const found = await repository.findBySecretHash(partner.secret.hash());
    expect(found).toEqual(partner.key);
    expect(found?.createdAt).toBe('2026-11-29T10:31:05.123Z');
    expect(partner.secret.matches(found!.secretHash)).toBe(true);
    expect(await repository.findBySecretHash(admin.secret.hash())).toEqual(admin.key);
    expect(await repository.findBySecretHash(sha256('ik_unknown'))).toBeNull();
    expect(await repository.findBySecretHash('not a hash')).toBeNull();

    expect(await repository.findById(admin.key.id)).toEqual(admin.key);
    expect(await repository.findById(admin.key.id.toUpperCase())).toEqual(admin.key);
    expect(await repository.findById('019ad3a1-7c2e-7b3d-8f4a-000000000001')).toBeNull();
    expect(await repository.findById('not-a-uuid')).toBeNull();
    expect((await repository.list()).map((key) => key.id)).toEqual([partner.key.id, admin.key.id]);

    await repository.recordUse(partner.key.id, new Date('2026-11-30T08:00:00.001Z'));
    // An instance that recorded an earlier use later does not move it back.
    await repository.recordUse(partner.key.id, new Date('2026-11-30T07:59:00.000Z'));
    await repository.recordUse('not-a-uuid', new Date());
    expect((await repository.findById(partner.key.id))?.lastUsedAt).toBe('2026-11-30T08:00:00.001Z');
    expect((await repository.findById(admin.key.id))?.lastUsedAt).toBeNull();

    const revoked = await repository.revoke(partner.key.id, new Date('2026-12-01T00:00:00.000Z'));
    expect(revoked).toMatchObject({ id: partner.key.id, revokedAt: '2026-12-01T00:00:00.000Z', isRevoked: true });
    expect(await repository.revoke(partner.key.id, new Date('2026-12-02T00:00:00.000Z'))).toMatchObject({
      revokedAt: '2026-12-01T00:00:00.000Z',
    });
    expect((await repository.findBySecretHash(partner.secret.hash()))?.revokedAt).toBe('2026-12-01T00:00:00.000Z');
    expect(await repository.revoke('019ad3a1-7c2e-7b3d-8f4a-000000000001', new Date())).toBeNull();
    expect(await repository.revoke('not-a-uuid', new Date())).toBeNull();
    expect(await repository.anyCreated()).toBe(true);
    expect((await repository.findById(admin.key.id))?.revokedAt).toBeNull();
  });

  it('stores stream tokens as their SHA-256 with their key and expiry, and drops the expired ones at each new token', async () => {
    const repository = new TypeOrmApiKeyRepository(await openDataSource());
    const { key } = issue({ admin: false, partnerId: 'acme' }, '2026-12-02T10:00:00.000Z');
    await repository.add(key);
    const first = StreamToken.generate().grant(key.id, new Date('2026-12-02T10:01:00.000Z'));
    const second = StreamToken.generate().grant(key.id, new Date('2026-12-02T10:01:30.500Z'));

    await repository.addStreamToken(first, new Date('2026-12-02T10:00:00.000Z'));
    await repository.addStreamToken(second, new Date('2026-12-02T10:01:00.000Z'));
    expect(await repository.findStreamToken(first.digest)).toEqual(first);
    expect(await repository.findStreamToken(second.digest)).toEqual(second);
    expect(await repository.findStreamToken(sha256('st_unknown'))).toBeNull();
    expect(await repository.findStreamToken('not a hash')).toBeNull();

    const third = StreamToken.generate().grant(key.id, new Date('2026-12-02T10:02:01.000Z'));
    await repository.addStreamToken(third, new Date('2026-12-02T10:01:01.000Z'));
    expect(await repository.findStreamToken(first.digest)).toBeNull();
    expect(await repository.findStreamToken(second.digest)).toEqual(second);
    expect(await database.query('SELECT "token_hash" FROM "stream_tokens"')).toHaveLength(2);

    const refusal = (digest: string, keyId: string) =>
      repository.addStreamToken({ digest, keyId, expiresAt: new Date('2026-12-02T10:03:00.000Z') }, new Date(0)).then(
        () => 'accepted',
        (error: Error) => error.message,
      );
    for (const notAHash of [sha256('b').toUpperCase(), StreamToken.generate().value, sha256('b').slice(1)]) {
      expect(await refusal(notAHash, key.id)).toMatch(/ck_stream_tokens_token_hash/);
    }
    expect(await refusal(third.digest, key.id)).not.toBe('accepted');
    expect(await database.query('SELECT "token_hash" FROM "stream_tokens"')).toHaveLength(2);
  });

  it('keeps the schema from storing anything but one scope and a SHA-256 per key', async () => {
    await openDataSource();
    const insert = (id: string, partnerId: string | null, admin: boolean, hash: string) =>
      database.run(
        `INSERT INTO "api_keys" ("id", "partner_id", "admin", "secret_hash", "created_at") VALUES (?, ?, ?, ?, ?)`,
        id,
        partnerId,
        storedBoolean(database, admin),
        hash,
        '2026-11-29T10:31:05.123Z',
      );
    // The message, not toThrow: once another spec file has loaded better-sqlite3, its errors come from that file's realm.
    const refusal = (inserting: Promise<number>) =>
      inserting.then(
        () => 'accepted',
        (error: Error) => error.message,
      );
    const hash = sha256('a');
    await insert('019ad3a1-7c2e-7b3d-8f4a-000000000001', 'acme', false, hash);

    const id = '019ad3a1-7c2e-7b3d-8f4a-000000000002';
    expect(await refusal(insert(id, 'acme', true, sha256('b')))).toMatch(/ck_api_keys_scope/);
    expect(await refusal(insert(id, null, false, sha256('b')))).toMatch(/ck_api_keys_scope/);
    expect(await refusal(insert(id, 'acme', false, hash))).toMatch(/uq_api_keys_secret_hash|api_keys\.secret_hash/);
    for (const notAHash of [hash.toUpperCase(), `ik_${'a'.repeat(61)}`, hash.slice(1)]) {
      expect(await refusal(insert(id, 'acme', false, notAHash))).toMatch(/ck_api_keys_secret_hash/);
    }
    expect(await database.query('SELECT "id" FROM "api_keys"')).toHaveLength(1);

    if (database.kind === 'postgres') {
      const columns = await database.query<{ column_name: string; data_type: string }>(
        `SELECT "column_name", "data_type" FROM information_schema.columns
         WHERE "table_schema" = 'public' AND "table_name" = 'api_keys'`,
      );
      expect(Object.fromEntries(columns.map((column) => [column.column_name, column.data_type]))).toEqual({
        id: 'uuid',
        partner_id: 'character varying',
        admin: 'boolean',
        name: 'character varying',
        secret_hash: 'character',
        created_at: 'timestamp with time zone',
        revoked_at: 'timestamp with time zone',
        last_used_at: 'timestamp with time zone',
      });
    }
  });

  it('gives timestamps as RFC 3339 text with milliseconds even without the service type parsers', async () => {
    const options = dataSourceOptions(validateEnvironment({ DATABASE_URL: database.url }));
    await openDataSource();
    const plain = new DataSource({ ...options, logging: false, extra: {} } as typeof options);
    dataSources.push(await plain.initialize());
    const repository = new TypeOrmApiKeyRepository(plain);
    const { key } = issue({ admin: true, partnerId: null }, '2026-11-29T10:31:05.120Z');
    await repository.add(key);
    await repository.recordUse(key.id, new Date('2026-11-29T11:00:00.000Z'));

    expect(await repository.revoke(key.id, new Date('2026-11-29T12:00:00.005Z'))).toMatchObject({
      createdAt: '2026-11-29T10:31:05.120Z',
      lastUsedAt: '2026-11-29T11:00:00.000Z',
      revokedAt: '2026-11-29T12:00:00.005Z',
    });
  });

  it('fails with StorageUnavailableError (a 503, never a 500) when the database does not answer in time', async () => {
    await openDataSource();
    if (database.kind === 'postgres') {
      const repository = new TypeOrmApiKeyRepository(await openDataSource({ DATABASE_STATEMENT_TIMEOUT_MS: '200' }));
      const session = new Client({ connectionString: database.url });
      await session.connect();
      try {
        await session.query('BEGIN');
        await session.query('LOCK TABLE "api_keys" IN ACCESS EXCLUSIVE MODE');
        await expect(repository.anyCreated()).rejects.toBeInstanceOf(StorageUnavailableError);
        await expect(repository.findBySecretHash(sha256('a'))).rejects.toThrow(StorageUnavailableError);
        await session.query('ROLLBACK');
      } finally {
        await session.end();
      }
      expect(await repository.anyCreated()).toBe(false);
    } else {
      const repository = new TypeOrmApiKeyRepository(await openDataSource({ SQLITE_BUSY_TIMEOUT_MS: '100' }));
      const writer = new Database(database.path);
      try {
        writer.exec('BEGIN IMMEDIATE');
        const { key } = issue({ admin: true, partnerId: null }, '2026-11-29T10:31:05.123Z');
        await expect(repository.add(key)).rejects.toBeInstanceOf(StorageUnavailableError);
        await expect(repository.revoke(key.id, new Date())).rejects.toBeInstanceOf(StorageUnavailableError);
        writer.exec('ROLLBACK');
      } finally {
        writer.close();
      }
      expect(await repository.anyCreated()).toBe(false);
    }
  });
});
