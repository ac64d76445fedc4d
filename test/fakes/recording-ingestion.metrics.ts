import { IngestionMetrics } from '../../src/ingestion/application/ports/ingestion.metrics';

/** Keeps what ingestion reported, for assertions. */
export class RecordingIngestionMetrics extends IngestionMetrics {
  readonly payloadBytes: number[] = [];
  readonly failureCauses: string[] = [];

  get records(): number {
    return this.payloadBytes.length;
  }

  recordsIngested(payloadBytes: readonly number[]): void {
    this.payloadBytes.push(...payloadBytes);
  }

  eventHandlerFailed(cause: string): void {
    this.failureCauses.push(cause);
  }
}
