import type { DataIngestedIntegrationEvent } from './data-ingested.integration-event';

/** Delivery's state as readiness reports it; delivery never makes the service unready. */
export interface DeliveryState {
  /** Where the events go, e.g. `nats-jetstream` or `in-process`. */
  sink: string;
  /** Whether the last attempt to reach the sink worked. */
  reachable: boolean;
  detail?: string;
}

/**
 * Port to whoever consumes ingestion downstream. The event-log relay hands it the log's entries in
 * order, a page at a time; `publish` resolves once every event of the page is confirmed by the sink,
 * and rejects when any is not (the relay then sends the page again: the sink deduplicates by id).
 */
export abstract class IntegrationEventPublisher {
  /** Names this sink's cursor in the event log: each sink remembers how far it got. */
  abstract readonly sink: string;

  abstract publish(events: readonly DataIngestedIntegrationEvent[]): Promise<void>;

  abstract state(): DeliveryState;
}
