import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { IngestionModule } from '../ingestion/ingestion.module';
import { DatabaseWritesHealthIndicator } from './database-writes.health';
import { EventDeliveryHealthIndicator } from './event-delivery.health';
import { HealthController } from './health.controller';
import { ShutdownState } from './shutdown-state';

@Module({
  // IngestionModule: the DatabaseWritesMonitor its repositories report write failures to, and event delivery's state.
  imports: [TerminusModule.forRoot({ logger: false }), IngestionModule],
  controllers: [HealthController],
  providers: [ShutdownState, DatabaseWritesHealthIndicator, EventDeliveryHealthIndicator],
  exports: [ShutdownState],
})
export class HealthModule {}
