import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AccessModule } from '../access/access.module';
import { IngestionModule } from '../ingestion/ingestion.module';
import { AccessControlHealthIndicator } from './access-control.health';
import { DatabaseWritesHealthIndicator } from './database-writes.health';
import { EventDeliveryHealthIndicator } from './event-delivery.health';
import { HealthController } from './health.controller';
import { ShutdownState } from './shutdown-state';

@Module({
  // IngestionModule: the DatabaseWritesMonitor its repositories report write failures to, and event delivery's state;
  // AccessModule: whether API keys are required.
  imports: [TerminusModule.forRoot({ logger: false }), IngestionModule, AccessModule],
  controllers: [HealthController],
  providers: [ShutdownState, DatabaseWritesHealthIndicator, EventDeliveryHealthIndicator, AccessControlHealthIndicator],
  exports: [ShutdownState],
})
export class HealthModule {}
