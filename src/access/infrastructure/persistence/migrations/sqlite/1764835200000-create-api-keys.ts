import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateApiKeys1764835200000 implements MigrationInterface {
  name = 'CreateApiKeys1764835200000';

  // The CHECK refuses anything but a SHA-256 in place of the secret: a secret stored by mistake.
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "api_keys" (
        "id" varchar(36) PRIMARY KEY NOT NULL,
        "partner_id" varchar(64),
        "admin" integer NOT NULL,
        "name" varchar(200),
        "secret_hash" char(64) NOT NULL,
        "created_at" varchar(24) NOT NULL,
        "revoked_at" varchar(24),
        "last_used_at" varchar(24),
        CONSTRAINT "ck_api_keys_scope"
          CHECK (("admin" = 1 AND "partner_id" IS NULL) OR ("admin" = 0 AND "partner_id" IS NOT NULL)),
        CONSTRAINT "ck_api_keys_secret_hash" CHECK (length("secret_hash") = 64 AND "secret_hash" NOT GLOB '*[^0-9a-f]*')
      )`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_api_keys_secret_hash" ON "api_keys" ("secret_hash")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "api_keys"`);
  }
}
