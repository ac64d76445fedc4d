/**
 * Unit specs sit next to their code; e2e specs boot the real app in test/ and run twice:
 * on SQLite (project `e2e`) and on PostgreSQL (project `e2e-postgres`, TEST_DATABASE=postgres).
 *
 * PostgreSQL is looked for at TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
 * When it does not answer, the PostgreSQL project is left out and the run says so; with
 * REQUIRE_POSTGRES=1 (as in CI) the run fails instead.
 */
const { Client } = require('pg');

const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const ESM_ONLY_PACKAGES = ['content-disposition'];

const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
  // ESM-only dependencies, compiled to CommonJS for Jest: Node (20.19+) requires them as they are,
  // but Jest's module loader can only do so from Node 24.9. content-disposition: @fastify/static
  // (the OpenAPI UI's assets at /docs).
  [`/node_modules/(?:${ESM_ONLY_PACKAGES.join('|')})/.+\\.js$`]: [
    'ts-jest',
    { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' }, diagnostics: false },
  ],
};
const transformIgnorePatterns = [`/node_modules/(?!(?:${ESM_ONLY_PACKAGES.join('|')})/)`];

const e2e = {
  testEnvironment: 'node',
  // CI runs the Dockerfile smoke beside the tests on two cores: a test's own work may take twice as long.
  testTimeout: 30_000,
  rootDir: '.',
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform,
  transformIgnorePatterns,
};

/** Resolves to why PostgreSQL cannot be used, or undefined when it answers. */
async function postgresUnavailable() {
  const client = new Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message || error.code || String(error) : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

module.exports = async () => {
  const unavailable = await postgresUnavailable();
  const where = TEST_POSTGRES_URL.replace(/\/\/[^@/]*@/, '//');
  const reason = `PostgreSQL at ${where} does not answer (${unavailable})`;
  if (unavailable !== undefined) {
    if (process.env.REQUIRE_POSTGRES === '1') {
      throw new Error(`REQUIRE_POSTGRES=1, but PostgreSQL at ${where} does not answer: ${unavailable}`);
    }
    process.stderr.write(
      `\n*** The PostgreSQL e2e project is SKIPPED: ${reason}.\n` +
        '*** Start it (or set TEST_POSTGRES_URL) to run the e2e suite on PostgreSQL too; CI sets REQUIRE_POSTGRES=1.\n\n',
    );
  }
  return {
    ...(unavailable === undefined
      ? {}
      : { reporters: ['default', ['<rootDir>/test/support/postgres-skipped.reporter.js', { reason }]] }),
    projects: [
      {
        displayName: 'unit',
        testEnvironment: 'node',
        rootDir: '.',
        testMatch: ['<rootDir>/src/**/*.spec.ts'],
        moduleFileExtensions: ['ts', 'js', 'json'],
        transform,
        transformIgnorePatterns,
      },
      // `*.postgres.e2e-spec.ts` needs several processes on one database: PostgreSQL only.
      { ...e2e, displayName: 'e2e', testPathIgnorePatterns: ['/node_modules/', '\\.postgres\\.e2e-spec\\.ts$'] },
      // `*.browser.e2e-spec.ts` drives a page in Chromium: what it checks does not depend on the database.
      ...(unavailable === undefined
        ? [
            {
              ...e2e,
              displayName: 'e2e-postgres',
              setupFiles: ['<rootDir>/test/support/use-postgres.js'],
              testPathIgnorePatterns: ['/node_modules/', '\\.browser\\.e2e-spec\\.ts$'],
            },
          ]
        : []),
    ],
  };
};
