import { Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { AccessMetrics } from '../../application/ports/access.metrics';
import type { RefusalReason } from '../../domain/access.errors';

@Injectable()
export class PrometheusAccessMetrics extends AccessMetrics {
  private readonly refusals: Counter<'reason'>;

  constructor(registry: Registry) {
    super();
    this.refusals = new Counter({
      name: 'access_refused_requests_total',
      help: 'Requests refused by access control, by reason (missing_key, malformed_key, unknown_key, revoked_key, invalid_token, forbidden, rate_limited).',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  requestRefused(reason: RefusalReason): void {
    this.refusals.inc({ reason });
  }
}
