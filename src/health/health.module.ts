import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { IngestionModule } from '../ingestion/ingestion.module';
import { DatabaseWritesHealthIndicator } from './database-writes.health';
import { HealthController } from './health.controller';
import { ShutdownState } from './shutdown-state';

@Module({
  // IngestionModule: the DatabaseWritesMonitor its repositories report write failures to.
  imports: [TerminusModule.forRoot({ logger: false }), IngestionModule],
  controllers: [HealthController],
  providers: [ShutdownState, DatabaseWritesHealthIndicator],
  exports: [ShutdownState],
})
export class HealthModule {}
