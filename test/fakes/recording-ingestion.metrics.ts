import { IngestionMetrics } from '../../src/ingestion/application/ports/ingestion.metrics';

/** Keeps what ingestion reported, for assertions. */
export class RecordingIngestionMetrics extends IngestionMetrics {
  readonly payloadBytes: number[] = [];
  readonly failedHandlers: string[] = [];

  get records(): number {
    return this.payloadBytes.length;
  }

  recordsIngested(payloadBytes: readonly number[]): void {
    this.payloadBytes.push(...payloadBytes);
  }

  eventHandlerFailed(handler: string): void {
    this.failedHandlers.push(handler);
  }
}
