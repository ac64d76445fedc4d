import { Injectable, Logger } from '@nestjs/common';
import type { AccessRefusedError } from '../domain/access.errors';
import type { Principal } from '../domain/principal.value-object';
import { AccessMetrics } from './ports/access.metrics';

/** Where a refused request was going, for its audit line. */
export interface RefusedRequest {
  id: string;
  method: string;
  route: string;
}

/** One `info` line and one count per refused request; the line names the key by id, never by secret. */
@Injectable()
export class AccessRefusalAudit {
  private readonly logger = new Logger('Access');

  constructor(private readonly metrics: AccessMetrics) {}

  refused(error: AccessRefusedError, request: RefusedRequest, principal: Principal | undefined): void {
    this.metrics.requestRefused(error.reason);
    const key = principal?.keyId ? ` with API key ${principal.keyId}` : '';
    this.logger.log(`request ${request.id} ${request.method} ${request.route} refused${key}: ${error.reason}`);
  }
}
