/**
 * Port to the service's metrics: what ingestion reports about itself. The adapter decides
 * the names and the exposition (Prometheus, see infrastructure/metrics).
 */
export abstract class IngestionMetrics {
  /** Records just committed (never a replay), with each payload's size in UTF-8 bytes. */
  abstract recordsIngested(payloadBytes: readonly number[]): void;

  /** A listener, saga or saga-triggered command handler failed after the response was decided. */
  abstract eventHandlerFailed(handler: string): void;
}
