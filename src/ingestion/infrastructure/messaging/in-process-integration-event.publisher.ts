import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import type { DataIngestedIntegrationEvent } from '../../application/ports/data-ingested.integration-event';
import { DeliveryState, IntegrationEventPublisher } from '../../application/ports/integration-event.publisher';

/** Without NATS_URL: an in-process hub that in-process consumers subscribe to. */
@Injectable()
export class InProcessIntegrationEventPublisher extends IntegrationEventPublisher implements OnModuleDestroy {
  readonly sink = 'in-process';
  private readonly hub = new Subject<DataIngestedIntegrationEvent>();

  readonly events$: Observable<DataIngestedIntegrationEvent> = this.hub.asObservable();

  async publish(events: readonly DataIngestedIntegrationEvent[]): Promise<void> {
    for (const event of events) this.hub.next(event);
  }

  state(): DeliveryState {
    return { sink: this.sink, reachable: true };
  }

  onModuleDestroy(): void {
    this.hub.complete();
  }
}
