import { Injectable } from '@nestjs/common';
import { ICommand, IEvent, ofType, Saga } from '@nestjs/cqrs';
import { Observable, asapScheduler, auditTime, map } from 'rxjs';
import { DataIngested } from '../../domain/data-ingested.event';
import { PublishDataIngestedCommand } from '../commands/publish-data-ingested.command';

/** Pure, since an error would end the saga for good; the relay reads the log, so a batch's events need one command. */
@Injectable()
export class IngestionSaga {
  @Saga()
  dataIngested = (events$: Observable<IEvent>): Observable<ICommand> =>
    events$.pipe(
      ofType(DataIngested),
      auditTime(0, asapScheduler),
      map(() => new PublishDataIngestedCommand()),
    );
}
