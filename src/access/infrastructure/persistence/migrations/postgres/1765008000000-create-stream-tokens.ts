import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateStreamTokens1765008000000 implements MigrationInterface {
  name = 'CreateStreamTokens1765008000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "stream_tokens" (
        "token_hash" char(64) NOT NULL,
        "api_key_id" uuid NOT NULL,
        "expires_at" timestamptz(3) NOT NULL,
        CONSTRAINT "pk_stream_tokens" PRIMARY KEY ("token_hash"),
        CONSTRAINT "fk_stream_tokens_api_key" FOREIGN KEY ("api_key_id") REFERENCES "api_keys" ("id"),
        CONSTRAINT "ck_stream_tokens_token_hash" CHECK ("token_hash" ~ '^[0-9a-f]{64}$')
      )`,
    );
    await queryRunner.query(`CREATE INDEX "ix_stream_tokens_expires_at" ON "stream_tokens" ("expires_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "stream_tokens"`);
  }
}
