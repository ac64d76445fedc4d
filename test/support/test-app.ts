import { Test } from '@nestjs/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter } from '../../src/app.setup';
import { createTestDatabase, TestDatabase } from './database';

export { createTestDatabase };
export type { TestDatabase };

export interface TestAppOptions {
  /** Settings that win over .env and the environment (DATABASE_URL is set from `database`). */
  env?: Record<string, string>;
  /** Extra providers, e.g. a spy listener; added to a module imported beside AppModule. */
  providers?: import('@nestjs/common').Provider[];
  /**
   * Runs on the new app before `configureApp` and `init`, when no route exists yet: the place
   * for a Fastify hook that must see every route (see `recordRoutes` in ./routes).
   */
  beforeConfigure?: (app: NestFastifyApplication) => void;
}

/** Boots the real AppModule on the real Fastify adapter, as main.ts does, without listening. */
export async function createTestApp(
  database: TestDatabase,
  options: TestAppOptions = {},
): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      AppModule.forRoot({
        LOG_LEVEL: 'error',
        // Tests share the app's event loop and block it on purpose (seeding rows): no shedding
        // unless a test asks for it (load-shedding.e2e-spec).
        LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS: '0',
        ...options.env,
        DATABASE_URL: database.url,
      }),
    ],
    providers: options.providers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createFastifyAdapter(), {
    bodyParser: false,
    logger: ['error', 'fatal'],
  });
  options.beforeConfigure?.(app);
  configureApp(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/** The app and database of `useTestApp`, readable once its beforeAll has run. */
export interface TestAppContext {
  readonly app: NestFastifyApplication;
  readonly database: TestDatabase;
}

/**
 * Registers beforeAll/afterAll that boot one app on a fresh database for the enclosing
 * describe, and close the app and remove the database after it. Call it in the describe
 * body and read `app`/`database` from the result inside hooks and tests only.
 */
export function useTestApp(options: TestAppOptions = {}): TestAppContext {
  let database: TestDatabase | undefined;
  let app: NestFastifyApplication | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    app = await createTestApp(database, options);
  });

  afterAll(async () => {
    await app?.close();
    await database?.remove();
    app = undefined;
    database = undefined;
  });

  const notReady = (name: string) =>
    new Error(`useTestApp: \`${name}\` was read before its beforeAll booted the app (or after its afterAll)`);
  return {
    get app() {
      if (app === undefined) throw notReady('app');
      return app;
    },
    get database() {
      if (database === undefined) throw notReady('database');
      return database;
    },
  };
}
