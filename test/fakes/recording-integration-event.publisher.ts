import type { DataIngestedIntegrationEvent } from '../../src/ingestion/application/ports/data-ingested.integration-event';
import { IntegrationEventPublisher } from '../../src/ingestion/application/ports/integration-event.publisher';

/** The `IntegrationEventPublisher` port that keeps what it is handed; `failWith` makes it reject. */
export class RecordingIntegrationEventPublisher extends IntegrationEventPublisher {
  readonly published: DataIngestedIntegrationEvent[] = [];
  private failure?: Error;

  failWith(error: Error): void {
    this.failure = error;
  }

  async publish(event: DataIngestedIntegrationEvent): Promise<void> {
    if (this.failure) throw this.failure;
    this.published.push(event);
  }
}
