import { Injectable } from '@nestjs/common';
import { ICommand, IEvent, ofType, Saga } from '@nestjs/cqrs';
import { Observable, map } from 'rxjs';
import { DataIngested } from '../../domain/data-ingested.event';
import { PublishDataIngestedCommand } from '../commands/publish-data-ingested.command';

/**
 * A pure mapping: anything that can fail belongs in the command's handler, because an
 * error inside this pipe would end the saga for good.
 */
@Injectable()
export class IngestionSaga {
  @Saga()
  dataIngested = (events$: Observable<IEvent>): Observable<ICommand> =>
    events$.pipe(
      ofType(DataIngested),
      map((event) => new PublishDataIngestedCommand(event.dataId, event.partnerId, event.timestamp)),
    );
}
