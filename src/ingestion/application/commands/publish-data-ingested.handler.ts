import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { EventLogRelay } from '../ports/event-log.relay';
import { LiveFeed } from '../ports/live-feed';
import { PublishDataIngestedCommand } from './publish-data-ingested.command';

/** The record is already in the event log, committed with it: the relay and the live feed read it from there, in log order. */
@CommandHandler(PublishDataIngestedCommand)
export class PublishDataIngestedHandler implements ICommandHandler<PublishDataIngestedCommand> {
  constructor(
    private readonly relay: EventLogRelay,
    private readonly feed: LiveFeed,
  ) {}

  async execute(): Promise<void> {
    this.relay.wake();
    this.feed.wake();
  }
}
