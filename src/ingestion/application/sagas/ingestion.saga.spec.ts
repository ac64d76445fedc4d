import { ICommand, IEvent } from '@nestjs/cqrs';
import { lastValueFrom, of, Subject, toArray } from 'rxjs';
import { DataIngestedMother } from '../../../../test/mothers/data-ingested.mother';
import { PublishDataIngestedCommand } from '../commands/publish-data-ingested.command';
import { IngestionSaga } from './ingestion.saga';

class SomethingElseHappened implements IEvent {
  constructor(readonly dataId: string) {}
}

describe('IngestionSaga', () => {
  const collect = (events: IEvent[]): Promise<ICommand[]> =>
    lastValueFrom(new IngestionSaga().dataIngested(of(...events)).pipe(toArray()));

  it('maps the DataIngested events published together to one PublishDataIngestedCommand', async () => {
    const commands = await collect([DataIngestedMother.create({ partnerId: 'acme' }), DataIngestedMother.create()]);

    expect(commands).toEqual([new PublishDataIngestedCommand()]);
  });

  it('maps DataIngested events published in separate turns to one command each', async () => {
    const events$ = new Subject<IEvent>();
    const commands: ICommand[] = [];
    new IngestionSaga().dataIngested(events$).subscribe((command) => commands.push(command));

    events$.next(DataIngestedMother.create());
    await new Promise((resolve) => setImmediate(resolve));
    events$.next(DataIngestedMother.create());
    await new Promise((resolve) => setImmediate(resolve));

    expect(commands).toEqual([new PublishDataIngestedCommand(), new PublishDataIngestedCommand()]);
  });

  it('ignores other events', async () => {
    const commands = await collect([new SomethingElseHappened('x'), DataIngestedMother.create()]);

    expect(commands).toEqual([new PublishDataIngestedCommand()]);
    expect(await collect([new SomethingElseHappened('y')])).toEqual([]);
  });

  it('emits nothing when nothing was ingested', async () => {
    expect(await collect([new SomethingElseHappened('x')])).toEqual([]);
  });
});
