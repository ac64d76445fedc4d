// @ts-check
/**
 * Mutation testing of the domain and application layers against the unit specs: `npm run test:mutation`.
 * Not part of `npm test` or CI: about 1,100 mutants, an hour or more on two busy cores; `-- --ignoreStatic`
 * skips the ~115 static ones (module-level regexes and constants), each of which reruns every related spec file.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  mutate: [
    'src/ingestion/domain/**/*.ts',
    'src/ingestion/application/**/*.ts',
    'src/access/domain/**/*.ts',
    'src/access/application/**/*.ts',
    '!src/**/*.spec.ts',
  ],
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    // The `unit` project of jest.config.js (whose default export also probes PostgreSQL for the e2e projects).
    config: {
      testEnvironment: 'node',
      rootDir: '.',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      moduleFileExtensions: ['ts', 'js', 'json'],
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }] },
    },
  },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  // Two cores, and benchmarks may run beside it: `npx stryker run --concurrency 2` on an idle machine.
  concurrency: 1,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  ignorePatterns: ['/dist', '/data', '/coverage', '/.bench', '/docs', '/examples', '/deploy'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
