import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateEventLog1764662400000 implements MigrationInterface {
  name = 'CreateEventLog1764662400000';

  /** The log is `seq` (one writer at a time: rowids follow commit order); each sink's cursor and lease. */
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "event_log_relays" (
        "sink" varchar(128) PRIMARY KEY NOT NULL,
        "delivered_position" integer NOT NULL,
        "owner" varchar(64) NOT NULL,
        "lease_expires_at" integer NOT NULL
      )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "event_log_relays"`);
  }
}
