import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateStreamTokens1765008000000 implements MigrationInterface {
  name = 'CreateStreamTokens1765008000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "stream_tokens" (
        "token_hash" char(64) PRIMARY KEY NOT NULL,
        "api_key_id" varchar(36) NOT NULL REFERENCES "api_keys" ("id"),
        "expires_at" varchar(24) NOT NULL,
        CONSTRAINT "ck_stream_tokens_token_hash"
          CHECK (length("token_hash") = 64 AND "token_hash" NOT GLOB '*[^0-9a-f]*')
      )`,
    );
    await queryRunner.query(`CREATE INDEX "ix_stream_tokens_expires_at" ON "stream_tokens" ("expires_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "stream_tokens"`);
  }
}
