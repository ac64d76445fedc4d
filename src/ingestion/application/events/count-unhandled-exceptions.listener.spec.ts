import { Logger } from '@nestjs/common';
import { CqrsModule, EventBus, EventsHandler, IEventHandler, UnhandledExceptionBus } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { firstValueFrom } from 'rxjs';
import { DataIngestedMother } from '../../../../test/mothers/data-ingested.mother';
import { DataIngested } from '../../domain/data-ingested.event';
import { PublishDataIngestedCommand } from '../commands/publish-data-ingested.command';
import { CountUnhandledExceptionsListener } from './count-unhandled-exceptions.listener';

@EventsHandler(DataIngested)
class FailingDataIngestedHandler implements IEventHandler<DataIngested> {
  async handle(): Promise<void> {
    throw new Error('listener failed');
  }
}

describe('CountUnhandledExceptionsListener', () => {
  let bus: UnhandledExceptionBus;
  let listener: CountUnhandledExceptionsListener;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    bus = new UnhandledExceptionBus();
    listener = new CountUnhandledExceptionsListener(bus);
    listener.onModuleInit();
  });

  afterEach(() => {
    listener.onModuleDestroy();
    jest.restoreAllMocks();
  });

  const command = () => new PublishDataIngestedCommand('019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69', 'acme', 'now');

  it('counts failures per cause type, and in total', () => {
    bus.publish({ cause: DataIngestedMother.create(), exception: new Error('a') });
    bus.publish({ cause: command(), exception: new Error('b') });
    bus.publish({ cause: DataIngestedMother.create(), exception: new Error('c') });

    expect(listener.failures('DataIngested')).toBe(2);
    expect(listener.failures('PublishDataIngestedCommand')).toBe(1);
    expect(listener.failures('SomethingElse')).toBe(0);
    expect(listener.failures()).toBe(3);
  });

  it('starts at zero', () => {
    expect(listener.failures()).toBe(0);
    expect(listener.failures('DataIngested')).toBe(0);
  });

  it('logs a warning that names the cause and its running count', () => {
    bus.publish({ cause: DataIngestedMother.create(), exception: new Error('a') });
    bus.publish({ cause: DataIngestedMother.create(), exception: new Error('b') });

    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[1][0]).toContain('DataIngested');
    expect(warn.mock.calls[1][0]).toContain('2');
  });

  it('counts a cause given by name', () => {
    bus.publish({ cause: 'nightly-export' as never, exception: new Error('a') });

    expect(listener.failures('nightly-export')).toBe(1);
  });

  it('counts a cause that is neither an object nor a name as unknown', () => {
    bus.publish({ cause: undefined as never, exception: new Error('a') });

    expect(listener.failures('unknown')).toBe(1);
    expect(listener.failures()).toBe(1);
  });

  it('stops counting once the module is destroyed', () => {
    listener.onModuleDestroy();

    bus.publish({ cause: DataIngestedMother.create(), exception: new Error('a') });

    expect(listener.failures()).toBe(0);
  });

  it('counts a listener failure reported by the real EventBus', async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const moduleRef = await Test.createTestingModule({
      imports: [CqrsModule.forRoot()],
      providers: [FailingDataIngestedHandler, CountUnhandledExceptionsListener],
    }).compile();
    const app = await moduleRef.init();
    try {
      const counter = app.get(CountUnhandledExceptionsListener);
      const reported = firstValueFrom(app.get(UnhandledExceptionBus));

      app.get(EventBus).publish(DataIngestedMother.create());
      await reported;

      expect(counter.failures('DataIngested')).toBe(1);
      expect(counter.failures()).toBe(1);
    } finally {
      await app.close();
    }
  });
});
