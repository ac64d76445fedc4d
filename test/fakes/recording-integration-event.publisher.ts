import type { DataIngestedIntegrationEvent } from '../../src/ingestion/application/ports/data-ingested.integration-event';
import {
  DeliveryState,
  IntegrationEventPublisher,
} from '../../src/ingestion/application/ports/integration-event.publisher';

/** The `IntegrationEventPublisher` port that keeps what it is handed; `failWith` makes it reject until cleared. */
export class RecordingIntegrationEventPublisher extends IntegrationEventPublisher {
  readonly sink = 'recording';
  readonly published: DataIngestedIntegrationEvent[] = [];
  calls = 0;
  private failure?: Error;

  failWith(error: Error | undefined): void {
    this.failure = error;
  }

  async publish(events: readonly DataIngestedIntegrationEvent[]): Promise<void> {
    this.calls++;
    if (this.failure) throw this.failure;
    this.published.push(...events);
  }

  state(): DeliveryState {
    return { sink: this.sink, reachable: this.failure === undefined };
  }
}
