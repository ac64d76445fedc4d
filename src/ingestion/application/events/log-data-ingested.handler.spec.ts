import { Logger } from '@nestjs/common';
import { IngestedDataMother } from '../../../../test/mothers/ingested-data.mother';
import { DataIngested } from '../../domain/data-ingested.event';
import { LogDataIngestedHandler } from './log-data-ingested.handler';

describe('LogDataIngestedHandler', () => {
  afterEach(() => jest.restoreAllMocks());

  it('logs one line that names the record and leaves the payload out', async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const data = IngestedDataMother.ingested({ partnerId: 'acme', payload: { secret: 'card-4242-4242' } });
    const [event] = data.getUncommittedEvents() as DataIngested[];

    await new LogDataIngestedHandler().handle(event);

    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]).toHaveLength(1);
    const [line] = log.mock.calls[0];
    expect(typeof line).toBe('string');
    expect(line).toContain(data.id.value);
    expect(line).toContain('acme');
    expect(line).toContain(data.timestamp.value);
    expect(line).not.toContain('\n');
    expect(line).not.toContain('card-4242-4242');
    expect(line).not.toContain(data.payload.json);
  });
});
