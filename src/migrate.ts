import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { dataSourceOptions, redactedDatabaseUrl } from './config/database.options';
import { InvalidEnvironmentError, validateEnvironment } from './config/validate-environment';
import { SchemaMigrator } from './ingestion/infrastructure/persistence/schema-migrator';

const USAGE =
  'usage: node dist/migrate.js run | revert | show   (npm run migration:run | migration:revert | migration:show)';

/** For operators (revert, or migrate before a rollout), under the lock the service takes when it migrates at start. */
async function main(command: string | undefined): Promise<number> {
  if (command !== 'run' && command !== 'revert' && command !== 'show') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (existsSync('.env')) process.loadEnvFile('.env');
  const environment = validateEnvironment(process.env);
  const dataSource = await new DataSource({ ...dataSourceOptions(environment), logging: false }).initialize();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    out(`database: ${redactedDatabaseUrl(environment.DATABASE_URL)}`);
    const migrator = new SchemaMigrator(dataSource);
    if (command === 'run') {
      const applied = await migrator.migrate();
      out(applied.length === 0 ? 'no pending migration' : applied.map((name) => `applied ${name}`).join('\n'));
    } else if (command === 'revert') {
      const reverted = await migrator.revertLast();
      out(reverted === undefined ? 'no migration to revert' : `reverted ${reverted}`);
    } else {
      const { executed, pending } = await migrator.status();
      for (const name of executed) out(`[X] ${name}`);
      for (const name of pending) out(`[ ] ${name}`);
    }
    return 0;
  } finally {
    await dataSource.destroy();
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      error instanceof InvalidEnvironmentError ? `${error.message}\n` : `migration failed: ${String(error)}\n`,
    );
    process.exit(1);
  },
);
