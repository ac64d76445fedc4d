import { DataSource, Migration, MigrationExecutor, QueryRunner } from 'typeorm';

/** Key of the PostgreSQL advisory lock that one migrating instance holds (any bigint; fixed for this service). */
export const MIGRATION_LOCK_KEY = '7426810359417001';

export interface MigrationStatus {
  executed: string[];
  pending: string[];
}

/**
 * Under a lock, so instances starting together do not race: PostgreSQL, a session advisory lock with no statement
 * timeout (a migration on a large table may take long); SQLite, one `BEGIN IMMEDIATE` around all of them.
 */
export class SchemaMigrator {
  constructor(private readonly dataSource: DataSource) {}

  async migrate(): Promise<string[]> {
    return this.withLock(async (executor) => {
      const applied = await executor.executePendingMigrations();
      return applied.map((migration) => migration.name);
    });
  }

  async revertLast(): Promise<string | undefined> {
    return this.withLock(async (executor) => {
      const executed = await executor.getExecutedMigrations();
      if (executed.length === 0) return undefined;
      await executor.undoLastMigration();
      return executed[0].name;
    });
  }

  async status(): Promise<MigrationStatus> {
    const executor = new MigrationExecutor(this.dataSource);
    const names = (migrations: Migration[]) => migrations.map((migration) => migration.name);
    const executed = await executor.getExecutedMigrations();
    const pending = await executor.getPendingMigrations();
    return { executed: names(executed).reverse(), pending: names(pending) };
  }

  private async withLock<T>(work: (executor: MigrationExecutor) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return this.dataSource.options.type === 'postgres'
        ? await this.withAdvisoryLock(runner, work)
        : await this.withImmediateTransaction(runner, work);
    } finally {
      await runner.release();
    }
  }

  private async withAdvisoryLock<T>(
    runner: QueryRunner,
    work: (executor: MigrationExecutor) => Promise<T>,
  ): Promise<T> {
    await runner.connect();
    await runner.query('SET statement_timeout = 0');
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const executor = new MigrationExecutor(this.dataSource, runner);
      executor.transaction = 'each';
      return await work(executor);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      await runner.query('RESET statement_timeout');
    }
  }

  private async withImmediateTransaction<T>(
    runner: QueryRunner,
    work: (executor: MigrationExecutor) => Promise<T>,
  ): Promise<T> {
    await runner.query('BEGIN IMMEDIATE');
    try {
      const executor = new MigrationExecutor(this.dataSource, runner);
      executor.transaction = 'none';
      const result = await work(executor);
      await runner.query('COMMIT');
      return result;
    } catch (error) {
      await runner.query('ROLLBACK');
      throw error;
    }
  }
}
