import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { IntegrationEventPublisher } from '../ports/integration-event.publisher';
import { PublishDataIngestedCommand } from './publish-data-ingested.command';

@CommandHandler(PublishDataIngestedCommand)
export class PublishDataIngestedHandler implements ICommandHandler<PublishDataIngestedCommand> {
  constructor(private readonly publisher: IntegrationEventPublisher) {}

  async execute(command: PublishDataIngestedCommand): Promise<void> {
    await this.publisher.publish({
      id: command.dataId,
      partner_id: command.partnerId,
      timestamp: command.timestamp,
    });
  }
}
