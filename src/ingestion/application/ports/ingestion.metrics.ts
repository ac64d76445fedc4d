/** Port to the service's metrics; the adapter picks the names and the exposition (Prometheus). */
export abstract class IngestionMetrics {
  /** Records just committed (never a replay), with each payload's size in UTF-8 bytes. */
  abstract recordsIngested(payloadBytes: readonly number[]): void;

  /** A listener, saga or saga-triggered command failed after the response; `cause` names its event, command or saga. */
  abstract eventHandlerFailed(cause: string): void;
}
