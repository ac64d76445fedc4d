import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Subscription } from 'rxjs';
import type { DataIngestedIntegrationEvent } from '../../src/ingestion/application/ports/data-ingested.integration-event';
import { InProcessIntegrationEventPublisher } from '../../src/ingestion/infrastructure/messaging/in-process-integration-event.publisher';
import type { Receipt } from './http';

export interface PublishedEvents {
  /** Every record the relay delivered since the recording started, in delivery order, as its receipt. */
  events: Receipt[];
  /** The same deliveries in full. */
  records: DataIngestedIntegrationEvent[];
  subscription: Subscription;
}

/** Collects what the event-log relay delivers through the in-process publisher. */
export function recordPublished(app: NestFastifyApplication): PublishedEvents {
  const events: Receipt[] = [];
  const records: DataIngestedIntegrationEvent[] = [];
  const subscription = app.get(InProcessIntegrationEventPublisher).events$.subscribe((event) => {
    records.push(event);
    events.push({ id: event.id, partner_id: event.partnerId, timestamp: event.timestamp });
  });
  return { events, records, subscription };
}
