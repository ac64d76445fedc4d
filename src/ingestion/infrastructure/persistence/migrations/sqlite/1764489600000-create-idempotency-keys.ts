import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateIdempotencyKeys1764489600000 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1764489600000';

  /** The (scope, key) primary key is what makes concurrent requests with one key produce one set of records. */
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "idempotency_keys" (
        "scope" varchar(64) NOT NULL,
        "key" varchar(255) NOT NULL,
        "fingerprint" varchar(64) NOT NULL,
        "status" integer NOT NULL,
        "response" text NOT NULL,
        "created_at" varchar(24) NOT NULL,
        "expires_at" varchar(24) NOT NULL,
        CONSTRAINT "pk_idempotency_keys" PRIMARY KEY ("scope", "key")
      )`,
    );
    await queryRunner.query(`CREATE INDEX "ix_idempotency_keys_expires_at" ON "idempotency_keys" ("expires_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "idempotency_keys"`);
  }
}
