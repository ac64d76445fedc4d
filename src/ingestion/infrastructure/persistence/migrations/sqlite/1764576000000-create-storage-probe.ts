import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateStorageProbe1764576000000 implements MigrationInterface {
  name = 'CreateStorageProbe1764576000000';

  /**
   * One row that the service overwrites to learn whether the database takes writes (at
   * start, and for readiness while writes fail; see DatabaseWritesMonitor): a committed
   * write, which a rolled-back one is not, in a table of its own, which no list reads.
   */
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "storage_probe" (
        "id" integer PRIMARY KEY NOT NULL,
        "probed_at" varchar(24) NOT NULL,
        "ballast" blob NOT NULL
      )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "storage_probe"`);
  }
}
