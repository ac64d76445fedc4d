import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter } from '../../src/app.setup';

export interface TestDatabase {
  url: string;
  path: string;
  remove(): void;
}

/** A fresh SQLite file in its own temporary folder. */
export function createTestDatabase(): TestDatabase {
  const folder = mkdtempSync(join(tmpdir(), 'ingestion-test-'));
  const path = join(folder, 'ingestion.sqlite');
  return { url: `sqlite:${path}`, path, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

export interface TestAppOptions {
  /** Settings that win over .env and the environment (DATABASE_URL is set from `database`). */
  env?: Record<string, string>;
  /** Extra providers, e.g. a spy listener; added to a module imported beside AppModule. */
  providers?: import('@nestjs/common').Provider[];
}

/** Boots the real AppModule on the real Fastify adapter, as main.ts does, without listening. */
export async function createTestApp(
  database: TestDatabase,
  options: TestAppOptions = {},
): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot({ LOG_LEVEL: 'error', ...options.env, DATABASE_URL: database.url })],
    providers: options.providers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(), {
    bodyParser: false,
    logger: ['error', 'fatal'],
  });
  configureApp(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
