import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateIngestedData1764403200000 implements MigrationInterface {
  name = 'CreateIngestedData1764403200000';

  // `id` is a UUIDv7: it sorts in ingestion order with no sequence shared between instances. `payload` is `json`,
  // not `jsonb`: `json` keeps the text as written (key order, `1e300`), `jsonb` reorders keys and refuses `\u0000`.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "ingested_data" (
        "id" uuid NOT NULL,
        "partner_id" varchar(64) NOT NULL,
        "timestamp" timestamptz(3) NOT NULL,
        "payload" json NOT NULL,
        CONSTRAINT "pk_ingested_data" PRIMARY KEY ("id")
      )`,
    );
    await queryRunner.query(`CREATE INDEX "ix_ingested_data_partner_id_id" ON "ingested_data" ("partner_id", "id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "ingested_data"`);
  }
}
