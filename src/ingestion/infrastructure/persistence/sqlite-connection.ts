import type { Database } from 'better-sqlite3';
import type { DataSource } from 'typeorm';

/** TypeORM's one better-sqlite3 connection, as its query runner hands it out (public API). */
export async function sqliteConnectionOf(dataSource: DataSource): Promise<Database> {
  const runner = dataSource.createQueryRunner();
  try {
    return (await runner.connect()) as Database;
  } finally {
    await runner.release();
  }
}
