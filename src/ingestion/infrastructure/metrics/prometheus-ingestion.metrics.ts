import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { IngestionMetrics } from '../../application/ports/ingestion.metrics';

/** Payload sizes: 64 B to 16 MiB, by powers of 4 (the default limit, 256 KiB, is a bound). */
export const PAYLOAD_BYTES_BUCKETS = [64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216];

@Injectable()
export class PrometheusIngestionMetrics extends IngestionMetrics {
  private readonly records: Counter;
  private readonly payloadBytes: Histogram;
  private readonly handlerFailures: Counter<'cause'>;

  constructor(registry: Registry) {
    super();
    this.records = new Counter({
      name: 'ingest_records_total',
      help: 'Records committed (single and batch; idempotent replays are not counted).',
      registers: [registry],
    });
    this.payloadBytes = new Histogram({
      name: 'ingest_payload_bytes',
      help: 'Size of each committed payload, serialised, in bytes.',
      buckets: PAYLOAD_BYTES_BUCKETS,
      registers: [registry],
    });
    this.handlerFailures = new Counter({
      name: 'event_handler_failures_total',
      help: 'Failures of event listeners, sagas and saga-triggered command handlers, by the event, command or saga.',
      labelNames: ['cause'],
      registers: [registry],
    });
  }

  recordsIngested(payloadBytes: readonly number[]): void {
    this.records.inc(payloadBytes.length);
    for (const bytes of payloadBytes) this.payloadBytes.observe(bytes);
  }

  eventHandlerFailed(cause: string): void {
    this.handlerFailures.inc({ cause });
  }
}
