import { Command } from '@nestjs/cqrs';

/** A record was committed: its entry in the event log is to be delivered downstream. */
export class PublishDataIngestedCommand extends Command<void> {
  constructor(
    readonly dataId: string,
    readonly partnerId: string,
    readonly timestamp: string,
  ) {
    super();
  }
}
