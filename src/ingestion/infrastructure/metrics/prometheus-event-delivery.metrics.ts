import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';

@Injectable()
export class PrometheusEventDeliveryMetrics {
  private readonly pending: Gauge;
  private readonly oldestPendingAge: Gauge;
  private readonly relaying: Gauge;
  private readonly published: Counter;
  private readonly failures: Counter;

  constructor(registry: Registry) {
    this.pending = new Gauge({
      name: 'event_log_pending',
      help: 'Event-log entries committed and not yet delivered to the sink.',
      registers: [registry],
    });
    this.oldestPendingAge = new Gauge({
      name: 'event_log_oldest_pending_age_seconds',
      help: 'Age of the oldest event-log entry not yet delivered (0 when none waits).',
      registers: [registry],
    });
    this.relaying = new Gauge({
      name: 'event_relay_active',
      help: '1 while this instance holds the relay lease (one instance per database relays at a time).',
      registers: [registry],
    });
    this.published = new Counter({
      name: 'events_published_total',
      help: 'Events delivered to the sink and confirmed by it.',
      registers: [registry],
    });
    this.failures = new Counter({
      name: 'event_publish_failures_total',
      help: 'Pages of events the sink did not confirm (sent again after a back-off).',
      registers: [registry],
    });
  }

  backlog(pending: number, oldestTimestamp: string | undefined): void {
    this.pending.set(pending);
    const age = pending > 0 && oldestTimestamp !== undefined ? (Date.now() - Date.parse(oldestTimestamp)) / 1000 : 0;
    this.oldestPendingAge.set(Math.max(0, age));
  }

  relayingHere(active: boolean): void {
    this.relaying.set(active ? 1 : 0);
  }

  eventsPublished(count: number): void {
    this.published.inc(count);
  }

  publishFailed(): void {
    this.failures.inc();
  }
}
