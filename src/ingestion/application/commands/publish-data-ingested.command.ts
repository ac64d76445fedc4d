import { Command } from '@nestjs/cqrs';

export class PublishDataIngestedCommand extends Command<void> {}
