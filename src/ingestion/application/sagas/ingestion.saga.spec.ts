import { ICommand, IEvent } from '@nestjs/cqrs';
import { lastValueFrom, of, toArray } from 'rxjs';
import { DataIngestedMother } from '../../../../test/mothers/data-ingested.mother';
import { PublishDataIngestedCommand } from '../commands/publish-data-ingested.command';
import { IngestionSaga } from './ingestion.saga';

class SomethingElseHappened implements IEvent {
  constructor(readonly dataId: string) {}
}

describe('IngestionSaga', () => {
  const collect = (events: IEvent[]): Promise<ICommand[]> =>
    lastValueFrom(new IngestionSaga().dataIngested(of(...events)).pipe(toArray()));

  it('maps each DataIngested to a PublishDataIngestedCommand for the same record, in order', async () => {
    const first = DataIngestedMother.create({ partnerId: 'acme' });
    const second = DataIngestedMother.create({ partnerId: 'globex' });

    const commands = await collect([first, second]);

    expect(commands).toEqual([
      new PublishDataIngestedCommand(first.dataId, 'acme', first.timestamp),
      new PublishDataIngestedCommand(second.dataId, 'globex', second.timestamp),
    ]);
    expect(commands.every((command) => command instanceof PublishDataIngestedCommand)).toBe(true);
  });

  it('ignores other events', async () => {
    const ingested = DataIngestedMother.create();

    const commands = await collect([new SomethingElseHappened('x'), ingested, new SomethingElseHappened('y')]);

    expect(commands).toEqual([new PublishDataIngestedCommand(ingested.dataId, ingested.partnerId, ingested.timestamp)]);
  });

  it('emits nothing when nothing was ingested', async () => {
    expect(await collect([new SomethingElseHappened('x')])).toEqual([]);
  });
});
