import { PrincipalMother } from '../../../../test/mothers/principal.mother';
import { PartnerAccessDeniedError } from '../../../access/domain/access.errors';
import { Principal } from '../../../access/domain/principal.value-object';
import { InvalidDataIdError, InvalidPartnerIdError, UnknownCursorError } from '../../domain/ingestion.errors';
import { LiveFeed, type LiveFeedFilter, type LiveFeedSubscription } from '../ports/live-feed';
import { StreamDataHandler } from './stream-data.handler';
import { StreamDataQuery } from './stream-data.query';

const ACME_RECORD = '01a23482-fd8f-776b-9191-a9d275d19b86';
const GLOBEX_RECORD = '01a23482-fdc8-76e5-af7d-29882ea40e11';
const NO_RECORD = '01a23482-fe73-7631-ac96-9d0fbe81c85a';

class RecordingFeed extends LiveFeed {
  readonly subscribed: LiveFeedFilter[] = [];
  private readonly records = new Map([
    [ACME_RECORD, { position: 7, partnerId: 'acme' }],
    [GLOBEX_RECORD, { position: 8, partnerId: 'globex' }],
  ]);

  locate(id: string): Promise<{ position: number; partnerId: string } | null> {
    return Promise.resolve(this.records.get(id) ?? null);
  }

  subscribe(filter: LiveFeedFilter): Promise<LiveFeedSubscription> {
    this.subscribed.push(filter);
    return Promise.resolve({} as LiveFeedSubscription);
  }

  wake(): void {}
}

describe('StreamDataHandler', () => {
  let feed: RecordingFeed;
  let handler: StreamDataHandler;

  beforeEach(() => {
    feed = new RecordingFeed();
    handler = new StreamDataHandler(feed);
  });

  const stream = (principal: Principal, options: Partial<StreamDataQuery['options']> = {}) =>
    handler.execute(new StreamDataQuery(principal, { includePayload: false, ...options }));

  it('follows every partner from now on, without a cursor', async () => {
    await stream(Principal.open());

    expect(feed.subscribed).toEqual([{ partnerId: undefined, afterPosition: undefined, includePayload: false }]);
  });

  it("resumes after the cursor's place in the log, for one partner, with payloads", async () => {
    await stream(Principal.open(), {
      partnerId: 'acme',
      after: { id: ACME_RECORD.toUpperCase(), field: 'Last-Event-ID' },
      includePayload: true,
    });

    expect(feed.subscribed).toEqual([{ partnerId: 'acme', afterPosition: 7, includePayload: true }]);
  });

  it('refuses a cursor that names no record, naming the input it came from', async () => {
    const refused = stream(Principal.open(), { after: { id: NO_RECORD, field: 'Last-Event-ID' } });

    await expect(refused).rejects.toThrow(UnknownCursorError);
    await expect(refused).rejects.toMatchObject({ field: 'Last-Event-ID' });
    expect(feed.subscribed).toEqual([]);
  });

  it('refuses a cursor that is not a record id, and an invalid partner id', async () => {
    await expect(stream(Principal.open(), { after: { id: 'nope', field: 'after' } })).rejects.toMatchObject({
      constructor: InvalidDataIdError,
      field: 'after',
    });
    await expect(stream(Principal.open(), { partnerId: '-acme' })).rejects.toThrow(InvalidPartnerIdError);
  });

  it('lets a partner key follow its own partner only, and only with partner_id', async () => {
    const acme = PrincipalMother.partner('acme');

    await expect(stream(acme)).rejects.toThrow(PartnerAccessDeniedError);
    await expect(stream(acme, { partnerId: 'globex' })).rejects.toThrow(PartnerAccessDeniedError);
    await stream(acme, { partnerId: 'acme' });

    expect(feed.subscribed).toHaveLength(1);
  });

  it("treats another partner's record as an unknown cursor for a partner key, not for an admin key", async () => {
    const after = { id: GLOBEX_RECORD, field: 'after' };

    await expect(stream(PrincipalMother.partner('acme'), { partnerId: 'acme', after })).rejects.toThrow(
      UnknownCursorError,
    );
    await stream(PrincipalMother.admin(), { partnerId: 'acme', after });

    expect(feed.subscribed).toEqual([{ partnerId: 'acme', afterPosition: 8, includePayload: false }]);
  });
});
