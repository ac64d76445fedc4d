import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateStorageProbe1764576000000 implements MigrationInterface {
  name = 'CreateStorageProbe1764576000000';

  /** A committed write (a rolled-back one proves nothing) to a table no list reads; see DatabaseWritesMonitor. */
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "storage_probe" (
        "id" integer NOT NULL,
        "probed_at" timestamptz(3) NOT NULL,
        "ballast" bytea NOT NULL,
        CONSTRAINT "pk_storage_probe" PRIMARY KEY ("id")
      )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "storage_probe"`);
  }
}
