import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import type { DataIngestedIntegrationEvent } from '../../application/ports/data-ingested.integration-event';
import { DeliveryState, IntegrationEventPublisher } from '../../application/ports/integration-event.publisher';

/** Without NATS_URL: an in-process hub that in-process consumers subscribe to. It completes after the relay stopped. */
@Injectable()
export class InProcessIntegrationEventPublisher extends IntegrationEventPublisher implements OnApplicationShutdown {
  readonly sink = 'in-process';
  private readonly hub = new Subject<DataIngestedIntegrationEvent>();

  readonly events$: Observable<DataIngestedIntegrationEvent> = this.hub.asObservable();

  async publish(events: readonly DataIngestedIntegrationEvent[]): Promise<void> {
    for (const event of events) this.hub.next(event);
  }

  state(): DeliveryState {
    return { sink: this.sink, reachable: true };
  }

  onApplicationShutdown(): void {
    this.hub.complete();
  }
}
