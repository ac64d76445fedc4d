import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { EventLogRelay } from '../ports/event-log.relay';
import { PublishDataIngestedCommand } from './publish-data-ingested.command';

/** The record is already in the event log, committed with it: the relay delivers it from there, in log order. */
@CommandHandler(PublishDataIngestedCommand)
export class PublishDataIngestedHandler implements ICommandHandler<PublishDataIngestedCommand> {
  constructor(private readonly relay: EventLogRelay) {}

  async execute(): Promise<void> {
    this.relay.wake();
  }
}
