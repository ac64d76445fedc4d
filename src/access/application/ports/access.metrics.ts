import type { RefusalReason } from '../../domain/access.errors';

/** Port to the service's metrics: what access control reports about itself. */
export abstract class AccessMetrics {
  abstract requestRefused(reason: RefusalReason): void;
}
