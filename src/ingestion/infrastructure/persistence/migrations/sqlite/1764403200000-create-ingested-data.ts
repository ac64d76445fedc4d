import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateIngestedData1764403200000 implements MigrationInterface {
  name = 'CreateIngestedData1764403200000';

  // `seq` is the rowid, max + 1 on insert: commit order, never reused as no record is deleted (AUTOINCREMENT would cost
  // a write per insert). No index on `timestamp`: lists walk `seq`, and since/until filter along that walk.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "ingested_data" (
        "seq" integer PRIMARY KEY NOT NULL,
        "id" varchar(36) NOT NULL,
        "partner_id" varchar(64) NOT NULL,
        "timestamp" varchar(24) NOT NULL,
        "payload" text NOT NULL,
        CONSTRAINT "uq_ingested_data_id" UNIQUE ("id")
      )`,
    );
    await queryRunner.query(`CREATE INDEX "ix_ingested_data_partner_id_seq" ON "ingested_data" ("partner_id", "seq")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "ingested_data"`);
  }
}
