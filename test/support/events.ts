import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Subscription } from 'rxjs';
import type { DataIngestedIntegrationEvent } from '../../src/ingestion/application/ports/data-ingested.integration-event';
import { InProcessIntegrationEventPublisher } from '../../src/ingestion/infrastructure/messaging/in-process-integration-event.publisher';

export interface PublishedEvents {
  /** Every integration event the saga published since the recording started, in order. */
  events: DataIngestedIntegrationEvent[];
  subscription: Subscription;
}

/** Collects what the saga publishes (one per `DataIngested`) through the in-process publisher. */
export function recordPublished(app: NestFastifyApplication): PublishedEvents {
  const events: DataIngestedIntegrationEvent[] = [];
  const subscription = app.get(InProcessIntegrationEventPublisher).events$.subscribe((event) => events.push(event));
  return { events, subscription };
}
