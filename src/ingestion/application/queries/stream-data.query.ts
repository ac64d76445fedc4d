import { Query } from '@nestjs/cqrs';
import type { Principal } from '../../../access/domain/principal.value-object';
import type { LiveFeedSubscription } from '../ports/live-feed';

export interface StreamDataOptions {
  partnerId?: string;
  /** The last record the client has, and which input named it (`Last-Event-ID` or `after`). */
  after?: { id: string; field: string };
  includePayload: boolean;
}

export class StreamDataQuery extends Query<LiveFeedSubscription> {
  constructor(
    readonly principal: Principal,
    readonly options: StreamDataOptions,
  ) {
    super();
  }
}
