import type { DataIngestedIntegrationEvent } from './data-ingested.integration-event';

/** Delivery's state as readiness reports it; delivery never makes the service unready. */
export interface DeliveryState {
  sink: string;
  reachable: boolean;
  detail?: string;
}

/** Port to downstream: `publish` rejects unless the sink confirms the whole page, then resent (deduplicated by id). */
export abstract class IntegrationEventPublisher {
  /** Names this sink's cursor in the event log: each sink remembers how far it got. */
  abstract readonly sink: string;

  abstract publish(events: readonly DataIngestedIntegrationEvent[]): Promise<void>;

  abstract state(): DeliveryState;
}
