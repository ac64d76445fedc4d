import { Injectable, Logger, Provider } from '@nestjs/common';
import {
  CommandHandler,
  CqrsModule,
  EventBus,
  EventsHandler,
  ICommand,
  ICommandHandler,
  IEvent,
  IEventHandler,
  ofType,
  Saga,
  UnhandledExceptionBus,
} from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { firstValueFrom, map, Observable } from 'rxjs';
import { RecordingIngestionMetrics } from '../../../../test/fakes/recording-ingestion.metrics';
import { DataIngestedMother } from '../../../../test/mothers/data-ingested.mother';
import { DataIngested } from '../../domain/data-ingested.event';
import { PublishDataIngestedCommand } from '../commands/publish-data-ingested.command';
import { IngestionMetrics } from '../ports/ingestion.metrics';
import { CountUnhandledExceptionsListener } from './count-unhandled-exceptions.listener';

@EventsHandler(DataIngested)
class FailingDataIngestedHandler implements IEventHandler<DataIngested> {
  async handle(): Promise<void> {
    throw new Error('listener failed');
  }
}

@EventsHandler(DataIngested)
class QuietDataIngestedHandler implements IEventHandler<DataIngested> {
  async handle(): Promise<void> {}
}

class Ping implements IEvent {}
class PingCommand implements ICommand {}

@CommandHandler(PingCommand)
class FailingPingHandler implements ICommandHandler<PingCommand> {
  async execute(): Promise<void> {
    throw new Error('command failed');
  }
}

@Injectable()
class PingSaga {
  @Saga()
  pinged = (events$: Observable<IEvent>): Observable<ICommand> =>
    events$.pipe(
      ofType(Ping),
      map(() => new PingCommand()),
    );
}

class Boom implements IEvent {}

@Injectable()
class BrokenSaga {
  @Saga()
  exploding = (events$: Observable<IEvent>): Observable<ICommand> =>
    events$.pipe(
      ofType(Boom),
      map(() => {
        throw new Error('saga failed');
      }),
    );
}

describe('CountUnhandledExceptionsListener', () => {
  let metrics: RecordingIngestionMetrics;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    metrics = new RecordingIngestionMetrics();
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  async function appWith(...providers: Provider[]) {
    const moduleRef = await Test.createTestingModule({
      imports: [CqrsModule.forRoot()],
      providers: [...providers, CountUnhandledExceptionsListener, { provide: IngestionMetrics, useValue: metrics }],
    }).compile();
    return moduleRef.init();
  }

  /** Publishes `event` on the real EventBus of an app with these providers; waits for the reported failure. */
  async function causesCountedFor(event: IEvent, ...providers: Provider[]): Promise<string[]> {
    const app = await appWith(...providers);
    try {
      const reported = firstValueFrom(app.get(UnhandledExceptionBus));
      app.get(EventBus).publish(event);
      await reported;
      return metrics.failureCauses;
    } finally {
      await app.close();
    }
  }

  it('counts a failing listener against its event, through the real EventBus', async () => {
    expect(await causesCountedFor(DataIngestedMother.create(), FailingDataIngestedHandler)).toEqual(['DataIngested']);
  });

  it('counts a failing saga-triggered command against the command', async () => {
    expect(await causesCountedFor(new Ping(), PingSaga, FailingPingHandler)).toEqual(['PingCommand']);
  });

  it('counts a failing saga against its name (the property)', async () => {
    expect(await causesCountedFor(new Boom(), BrokenSaga)).toEqual(['exploding']);
  });

  it('counts an event once when it has several listeners (the bus does not say which threw)', async () => {
    expect(
      await causesCountedFor(DataIngestedMother.create(), QuietDataIngestedHandler, FailingDataIngestedHandler),
    ).toEqual(['DataIngested']);
  });

  it('names a command by its class, a string cause as it is, and anything else unknown', async () => {
    const app = await appWith();
    try {
      const bus = app.get(UnhandledExceptionBus);
      const command = new PublishDataIngestedCommand();

      bus.publish({ cause: command, exception: new Error('a') });
      bus.publish({ cause: 'nightly-export' as never, exception: new Error('b') });
      bus.publish({ cause: undefined as never, exception: new Error('c') });

      expect(metrics.failureCauses).toEqual(['PublishDataIngestedCommand', 'nightly-export', 'unknown']);
    } finally {
      await app.close();
    }
  });

  it('logs a warning that names the cause and its running count', async () => {
    const app = await appWith(FailingDataIngestedHandler);
    try {
      const bus = app.get(UnhandledExceptionBus);
      bus.publish({ cause: DataIngestedMother.create(), exception: new Error('a') });
      bus.publish({ cause: DataIngestedMother.create(), exception: new Error('b') });

      expect(warn).toHaveBeenCalledTimes(2);
      expect(warn.mock.calls[1][0]).toContain('DataIngested');
      expect(warn.mock.calls[1][0]).toContain('2');
    } finally {
      await app.close();
    }
  });

  it('stops counting once the module is destroyed', async () => {
    const app = await appWith(FailingDataIngestedHandler);
    const bus = app.get(UnhandledExceptionBus);
    await app.close();

    bus.publish({ cause: DataIngestedMother.create(), exception: new Error('a') });

    expect(metrics.failureCauses).toEqual([]);
  });
});
