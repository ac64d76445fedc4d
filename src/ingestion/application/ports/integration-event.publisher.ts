import type { DataIngestedIntegrationEvent } from './data-ingested.integration-event';

/**
 * Port to whoever consumes ingestion downstream. Called once per committed record, after
 * the commit; a rejection is logged and counted by the caller, never surfaced to the client.
 */
export abstract class IntegrationEventPublisher {
  abstract publish(event: DataIngestedIntegrationEvent): Promise<void>;
}
