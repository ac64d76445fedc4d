import { IEvent } from '@nestjs/cqrs';

/** Raised once, when a record is accepted; published only after it is committed. */
export class DataIngested implements IEvent {
  constructor(
    readonly dataId: string,
    readonly partnerId: string,
    readonly timestamp: string,
  ) {}
}
