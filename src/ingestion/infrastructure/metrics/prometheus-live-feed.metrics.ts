import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import type { LiveFeedEnd } from '../../application/ports/live-feed';

@Injectable()
export class PrometheusLiveFeedMetrics {
  private readonly clients: Gauge;
  private readonly sent: Counter;
  private readonly dropped: Counter<'reason'>;

  constructor(registry: Registry) {
    this.clients = new Gauge({
      name: 'stream_clients',
      help: 'Live feed streams open on this instance.',
      registers: [registry],
    });
    this.sent = new Counter({
      name: 'stream_events_sent_total',
      help: 'Events handed to live feed streams.',
      registers: [registry],
    });
    this.dropped = new Counter({
      name: 'stream_clients_dropped_total',
      help: 'Streams the server ended: lag (more than STREAM_MAX_LAG events behind), shutdown.',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.dropped.inc({ reason: 'lag' }, 0);
  }

  open(count: number): void {
    this.clients.set(count);
  }

  eventsSent(count: number): void {
    this.sent.inc(count);
  }

  ended(reason: Exclude<LiveFeedEnd, 'closed'>): void {
    this.dropped.inc({ reason });
  }
}
