import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as PinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './app.setup';
import { DatabaseNotWritableError, redactedDatabaseUrl } from './config/database.options';
import type { Environment } from './config/environment';
import { startupLogger } from './config/logger.options';
import { InvalidEnvironmentError } from './config/validate-environment';
import { isDatabaseUnavailable, unavailableReason } from './ingestion/infrastructure/persistence/database-errors';
import { installGracefulShutdown } from './graceful-shutdown';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(), createFastifyAdapter(), {
    bodyParser: false,
    abortOnError: false,
    // Silent until the configuration is known: a bad setting is reported once, below, without a stack.
    logger: false,
  });
  const config = app.get<ConfigService<Environment, true>>(ConfigService);
  app.useLogger(app.get(PinoLogger));
  configureApp(app);
  installGracefulShutdown(app, {
    delayMs: config.get('SHUTDOWN_DELAY_MS', { infer: true }),
    timeoutMs: config.get('SHUTDOWN_TIMEOUT_MS', { infer: true }),
  });
  await app.listen({ port: config.get('PORT', { infer: true }), host: config.get('HOST', { infer: true }) });
  new Logger('Bootstrap').log(
    `listening on ${await app.getUrl()} (${redactedDatabaseUrl(config.get('DATABASE_URL', { infer: true }))})`,
  );
}

bootstrap().catch((error: unknown) => {
  if (error instanceof InvalidEnvironmentError) console.error(error.message);
  else if (error instanceof DatabaseNotWritableError) startupLogger.fatal({ context: 'Database' }, error.message);
  else if (isDatabaseUnavailable(error))
    startupLogger.fatal({ context: 'Database' }, `database not reachable (${unavailableReason(error)}): giving up`);
  else console.error(error);
  process.exit(1);
});
