import { Command } from '@nestjs/cqrs';

/** Hand a committed record's integration event to downstream consumers. */
export class PublishDataIngestedCommand extends Command<void> {
  constructor(
    readonly dataId: string,
    readonly partnerId: string,
    readonly timestamp: string,
  ) {
    super();
  }
}
