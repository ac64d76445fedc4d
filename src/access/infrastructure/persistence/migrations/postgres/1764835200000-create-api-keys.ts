import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateApiKeys1764835200000 implements MigrationInterface {
  name = 'CreateApiKeys1764835200000';

  /** Only the secret's SHA-256 is stored: the CHECK refuses anything else in its place (a secret stored by mistake). */
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "api_keys" (
        "id" uuid NOT NULL,
        "partner_id" varchar(64),
        "admin" boolean NOT NULL,
        "name" varchar(200),
        "secret_hash" char(64) NOT NULL,
        "created_at" timestamptz(3) NOT NULL,
        "revoked_at" timestamptz(3),
        "last_used_at" timestamptz(3),
        CONSTRAINT "pk_api_keys" PRIMARY KEY ("id"),
        CONSTRAINT "ck_api_keys_scope" CHECK ("admin" = ("partner_id" IS NULL)),
        CONSTRAINT "ck_api_keys_secret_hash" CHECK ("secret_hash" ~ '^[0-9a-f]{64}$')
      )`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_keys_secret_hash" ON "api_keys" ("secret_hash")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "api_keys"`);
  }
}
