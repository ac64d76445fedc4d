import { MigrationInterface, QueryRunner } from 'typeorm';

/** Every instance's live feed LISTENs; a notification is delivered at the commit, once per transaction. */
export class NotifyEventLog1764921600000 implements MigrationInterface {
  name = 'NotifyEventLog1764921600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE FUNCTION "notify_event_log"() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         PERFORM pg_notify('ingestion_event_log', '');
         RETURN NULL;
       END
       $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "tr_ingested_data_notify_event_log" AFTER INSERT ON "ingested_data"
       FOR EACH STATEMENT EXECUTE FUNCTION "notify_event_log"()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "tr_ingested_data_notify_event_log" ON "ingested_data"`);
    await queryRunner.query(`DROP FUNCTION "notify_event_log"()`);
  }
}
