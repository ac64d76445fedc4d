import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AccessModule } from '../access/access.module';
import { IngestionModule } from '../ingestion/ingestion.module';
import { AccessControlHealthIndicator } from './access-control.health';
import { DatabaseWritesHealthIndicator } from './database-writes.health';
import { EventDeliveryHealthIndicator } from './event-delivery.health';
import { HealthController } from './health.controller';

@Module({
  // IngestionModule: the DatabaseWritesMonitor its repositories report write failures to, and event delivery's state;
  // AccessModule: whether API keys are required.
  imports: [TerminusModule.forRoot({ logger: false }), IngestionModule, AccessModule],
  controllers: [HealthController],
  providers: [DatabaseWritesHealthIndicator, EventDeliveryHealthIndicator, AccessControlHealthIndicator],
})
export class HealthModule {}
