import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { IdempotencyKey } from '../../domain/idempotency-key.value-object';
import { IngestedDataFactory } from '../../domain/ingested-data.factory';
import type { DataReceiptView } from '../views/data-receipt.view';
import type { IngestionResult } from '../views/ingestion.result';
import { IngestDataCommand } from './ingest-data.command';
import { IngestionCommitter, receiptOf } from './ingestion.committer';

@CommandHandler(IngestDataCommand)
export class IngestDataHandler implements ICommandHandler<IngestDataCommand> {
  constructor(
    private readonly factory: IngestedDataFactory,
    private readonly committer: IngestionCommitter,
  ) {}

  async execute(command: IngestDataCommand): Promise<IngestionResult<DataReceiptView>> {
    // The key is checked first: a bad key is a 400 whatever the body.
    const key = IdempotencyKey.createOptional(command.idempotencyKey);
    const data = this.factory.create({
      partnerId: command.partnerId,
      payload: command.payload,
      payloadText: command.payloadText,
    });
    command.principal.assertMayReach([data.partnerId.value]);
    return this.committer.commit('ingest', [data], receiptOf(data), key, command.principal);
  }
}
