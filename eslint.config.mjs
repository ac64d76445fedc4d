// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const FRAMEWORK_IMPORTS = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/config',
  '@nestjs/typeorm',
  '@nestjs/platform-fastify',
  '@nestjs/terminus',
  '@nestjs/swagger',
  'prom-client',
  'nestjs-pino',
  'typeorm',
  'fastify',
  'better-sqlite3',
  'pg',
  'class-validator',
  'class-transformer',
  'node:http',
];

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'data/', '.bench/', 'reports/', '.stryker-tmp/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A floating promise in a CQRS handler crashes the app (nestjs/cqrs#1485).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
    },
  },
  {
    // The domain knows nothing of HTTP, SQL or Nest's HTTP side: only AggregateRoot and IEvent.
    files: ['src/**/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...FRAMEWORK_IMPORTS.map((name) => ({ name, message: 'The domain layer imports no framework code.' })),
            {
              name: '@nestjs/cqrs',
              allowImportNames: ['AggregateRoot', 'IEvent'],
              message: 'The domain may take only AggregateRoot and IEvent from @nestjs/cqrs.',
            },
          ],
          patterns: [
            {
              group: ['**/application/**', '**/infrastructure/**'],
              message: 'The domain depends on nothing outside it.',
            },
          ],
        },
      ],
    },
  },
  {
    // Application code speaks to ports, never to adapters or to HTTP and SQL libraries.
    files: ['src/**/application/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            '@nestjs/typeorm',
            '@nestjs/platform-fastify',
            '@nestjs/swagger',
            'prom-client',
            'typeorm',
            'fastify',
            'better-sqlite3',
            'pg',
          ],
          patterns: [{ group: ['**/infrastructure/**'], message: 'Application code depends on ports, not adapters.' }],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Plain CommonJS scripts run by node (bench, test support, jest config).
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
