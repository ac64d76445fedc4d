import { CommandHandler, EventPublisher, ICommandHandler } from '@nestjs/cqrs';
import { DataRepository } from '../../domain/data.repository';
import { IngestedDataFactory } from '../../domain/ingested-data.factory';
import type { DataReceiptView } from '../views/data-receipt.view';
import { IngestDataCommand } from './ingest-data.command';

@CommandHandler(IngestDataCommand)
export class IngestDataHandler implements ICommandHandler<IngestDataCommand> {
  constructor(
    private readonly factory: IngestedDataFactory,
    private readonly repository: DataRepository,
    private readonly publisher: EventPublisher,
  ) {}

  async execute(command: IngestDataCommand): Promise<DataReceiptView> {
    const data = this.publisher.mergeObjectContext(
      this.factory.create({
        partnerId: command.partnerId,
        payload: command.payload,
        payloadText: command.payloadText,
      }),
    );
    await this.repository.save(data);
    data.commit();
    return { id: data.id.value, partner_id: data.partnerId.value, timestamp: data.timestamp.value };
  }
}
