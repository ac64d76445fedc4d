import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateIngestedData1764403200000 implements MigrationInterface {
  name = 'CreateIngestedData1764403200000';

  /**
   * `id` (UUIDv7) is the key and the list order: ids sort in ingestion order within an
   * instance, and several instances write to one database, so there is no shared sequence
   * to keep. `payload` is `json`, not `jsonb`: `json` keeps the text as written (key order,
   * `1e300`, `\u0000` escapes, repeated keys) and still checks that it is JSON; `jsonb`
   * would reorder keys and refuse `\u0000`.
   */
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
