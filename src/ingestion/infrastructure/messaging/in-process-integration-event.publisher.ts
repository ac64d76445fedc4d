import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import type { DataIngestedIntegrationEvent } from '../../application/ports/data-ingested.integration-event';
import { IntegrationEventPublisher } from '../../application/ports/integration-event.publisher';

/** Default publisher: an in-process hub that in-process consumers (the live stream) subscribe to. */
@Injectable()
export class InProcessIntegrationEventPublisher extends IntegrationEventPublisher implements OnModuleDestroy {
  private readonly hub = new Subject<DataIngestedIntegrationEvent>();

  readonly events$: Observable<DataIngestedIntegrationEvent> = this.hub.asObservable();

  async publish(event: DataIngestedIntegrationEvent): Promise<void> {
    this.hub.next(event);
  }

  onModuleDestroy(): void {
    this.hub.complete();
  }
}
