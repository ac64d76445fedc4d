import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { DataId } from '../../domain/data-id.value-object';
import { UnknownCursorError } from '../../domain/ingestion.errors';
import { PartnerId } from '../../domain/partner-id.value-object';
import { LiveFeed, LiveFeedSubscription } from '../ports/live-feed';
import { StreamDataQuery } from './stream-data.query';

@QueryHandler(StreamDataQuery)
export class StreamDataHandler implements IQueryHandler<StreamDataQuery> {
  constructor(private readonly feed: LiveFeed) {}

  async execute({ principal, options }: StreamDataQuery): Promise<LiveFeedSubscription> {
    const partnerId = options.partnerId === undefined ? undefined : PartnerId.create(options.partnerId).value;
    if (partnerId === undefined) principal.assertMayReachAll();
    else principal.assertMayReach([partnerId]);
    let afterPosition: number | undefined;
    if (options.after !== undefined) {
      const { id, field } = options.after;
      const found = await this.feed.locate(DataId.create(id, field).value);
      // Another partner's record is unknown to a partner key, as it is at GET /ingest/<id>.
      if (found === null || !principal.mayReach(found.partnerId)) throw new UnknownCursorError(id, field);
      afterPosition = found.position;
    }
    return this.feed.subscribe({ partnerId, afterPosition, includePayload: options.includePayload });
  }
}
