import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateEventLog1764662400000 implements MigrationInterface {
  name = 'CreateEventLog1764662400000';

  // Positions come from `event_log_head` in the inserting statement, whose row lock lasts until the commit: they
  // follow commit order, gapless for readers across instances. Records stored before get positions in id order.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`LOCK TABLE "ingested_data" IN SHARE ROW EXCLUSIVE MODE`);
    await queryRunner.query(`ALTER TABLE "ingested_data" ADD COLUMN "position" bigint`);
    await queryRunner.query(
      `UPDATE "ingested_data" AS "d" SET "position" = "n"."position"
       FROM (SELECT "id", row_number() OVER (ORDER BY "id") AS "position" FROM "ingested_data") AS "n"
       WHERE "d"."id" = "n"."id"`,
    );
    await queryRunner.query(`ALTER TABLE "ingested_data" ALTER COLUMN "position" SET NOT NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_ingested_data_position" ON "ingested_data" ("position")`);
    await queryRunner.query(
      `CREATE INDEX "ix_ingested_data_partner_id_position" ON "ingested_data" ("partner_id", "position")`,
    );
    await queryRunner.query(`DROP INDEX "ix_ingested_data_partner_id_id"`);
    await queryRunner.query(
      `CREATE TABLE "event_log_head" (
        "id" smallint NOT NULL,
        "last_position" bigint NOT NULL,
        CONSTRAINT "pk_event_log_head" PRIMARY KEY ("id"),
        CONSTRAINT "ck_event_log_head_single_row" CHECK ("id" = 1)
      )`,
    );
    await queryRunner.query(
      `INSERT INTO "event_log_head" ("id", "last_position") SELECT 1, COALESCE(MAX("position"), 0) FROM "ingested_data"`,
    );
    await queryRunner.query(
      `CREATE TABLE "event_log_relays" (
        "sink" varchar(128) NOT NULL,
        "delivered_position" bigint NOT NULL,
        "owner" varchar(64) NOT NULL,
        "lease_expires_at" bigint NOT NULL,
        CONSTRAINT "pk_event_log_relays" PRIMARY KEY ("sink")
      )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "event_log_relays"`);
    await queryRunner.query(`DROP TABLE "event_log_head"`);
    await queryRunner.query(`CREATE INDEX "ix_ingested_data_partner_id_id" ON "ingested_data" ("partner_id", "id")`);
    await queryRunner.query(`ALTER TABLE "ingested_data" DROP COLUMN "position"`);
  }
}
