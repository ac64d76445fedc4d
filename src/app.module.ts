import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { createMigratedDataSource, databaseModuleOptions } from './config/database.options';
import { loggerOptions, startupLoggerOn } from './config/logger.options';
import { unavailableReason } from './ingestion/infrastructure/persistence/database-errors';
import type { Environment } from './config/environment';
import { validateEnvironment } from './config/validate-environment';
import { AccessModule } from './access/access.module';
import { HealthModule } from './health/health.module';
import { ShutdownStateModule } from './health/shutdown-state';
import { ProblemDetailsFilter } from './http/problem-details.filter';
import { IngestionModule } from './ingestion/ingestion.module';
import { MetricsModule } from './metrics/metrics.module';

/** `overrides` win over `.env` and the process environment: tests point each app at its own database. */
export function foundationImports(overrides: Record<string, string> = {}, logFd: 1 | 2 = 1) {
  return [
    ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      envFilePath: '.env',
      validate: (raw) => validateEnvironment({ ...raw, ...overrides }),
    }),
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        databaseModuleOptions(
          {
            DATABASE_URL: config.get('DATABASE_URL', { infer: true }),
            SQLITE_BUSY_TIMEOUT_MS: config.get('SQLITE_BUSY_TIMEOUT_MS', { infer: true }),
            DATABASE_POOL_SIZE: config.get('DATABASE_POOL_SIZE', { infer: true }),
            DATABASE_STATEMENT_TIMEOUT_MS: config.get('DATABASE_STATEMENT_TIMEOUT_MS', { infer: true }),
            DATABASE_CONNECT_TIMEOUT_MS: config.get('DATABASE_CONNECT_TIMEOUT_MS', { infer: true }),
            DATABASE_CONNECT_RETRIES: config.get('DATABASE_CONNECT_RETRIES', { infer: true }),
            DATABASE_CONNECT_RETRY_DELAY_MS: config.get('DATABASE_CONNECT_RETRY_DELAY_MS', { infer: true }),
          },
          (error, attempt, attempts) =>
            startupLoggerOn(logFd).warn(
              { context: 'Database' },
              `database not reachable (${unavailableReason(error)}): attempt ${attempt} of ${attempts} failed, retrying in ${config.get('DATABASE_CONNECT_RETRY_DELAY_MS', { infer: true })} ms`,
            ),
        ),
      dataSourceFactory: createMigratedDataSource,
    }),
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        loggerOptions({
          level: config.get('LOG_LEVEL', { infer: true }),
          pretty: config.get('LOG_PRETTY', { infer: true }) === '1',
          fd: logFd,
        }),
    }),
    CqrsModule.forRoot(),
  ];
}

@Module({})
export class AppModule {
  static forRoot(overrides: Record<string, string> = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...foundationImports(overrides),
        ShutdownStateModule,
        MetricsModule,
        AccessModule,
        IngestionModule,
        HealthModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
    };
  }
}
