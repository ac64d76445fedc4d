import { Logger } from '@nestjs/common';
import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { DataIngested } from '../../domain/data-ingested.event';

/** One log line per committed record; never the payload. */
@EventsHandler(DataIngested)
export class LogDataIngestedHandler implements IEventHandler<DataIngested> {
  private readonly logger = new Logger('DataIngested');

  // async: a throw becomes a rejection that the EventBus logs, instead of ending the subscription.
  async handle(event: DataIngested): Promise<void> {
    this.logger.log(`data ingested id=${event.dataId} partner_id=${event.partnerId} timestamp=${event.timestamp}`);
  }
}
