import { drainChunks } from '../../../../test/fakes/drain-chunks';
import { InMemoryRecordReadModel } from '../../../../test/fakes/in-memory-record.read-model';
import { IngestedDataMother } from '../../../../test/mothers/ingested-data.mother';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { InvalidDataIdError, InvalidTimestampError, UnknownCursorError } from '../../domain/ingestion.errors';
import type { DataListFilter } from '../ports/record.read-model';
import { GetAllDataHandler } from './get-all-data.handler';
import { GetAllDataQuery } from './get-all-data.query';
import { Principal } from '../../../access/domain/principal.value-object';
import { PrincipalMother } from '../../../../test/mothers/principal.mother';
import { PartnerAccessDeniedError } from '../../../access/domain/access.errors';

const idsOf = (rows: Array<{ id: string }>) => rows.map((row) => row.id);
const idsOfRecords = (records: IngestedData[]) => records.map((record) => record.id.value);

describe('GetAllDataHandler', () => {
  let readModel: InMemoryRecordReadModel;
  let handler: GetAllDataHandler;
  /** Seven records, 10:00 to 10:06, one a minute, from three partners in turn. */
  let records: IngestedData[];

  beforeEach(() => {
    readModel = new InMemoryRecordReadModel({ chunkSize: 3 });
    handler = new GetAllDataHandler(readModel);
    records = IngestedDataMother.series(7, {
      partnerIds: ['acme', 'globex', 'initech'],
      start: '2026-11-29T10:00:00.000Z',
    });
    readModel.add(...records);
  });

  it('streams every partner’s records in ingestion order, in chunks', async () => {
    const view = await handler.execute(new GetAllDataQuery(Principal.open()));

    const chunks = await drainChunks(view.chunks);

    expect(chunks.map((chunk) => chunk.length)).toEqual([3, 3, 1]);
    expect(idsOf(chunks.flat())).toEqual(idsOfRecords(records));
    expect(chunks.flat().map((row) => row.partnerId)).toEqual(records.map((record) => record.partnerId.value));
    expect(view.nextAfter).toBeUndefined();
  });

  it('streams nothing from an empty store', async () => {
    const view = await new GetAllDataHandler(new InMemoryRecordReadModel()).execute(
      new GetAllDataQuery(Principal.open()),
    );

    expect(await drainChunks(view.chunks)).toEqual([]);
  });

  it('returns a page and the cursor of its last record when more records exist', async () => {
    const view = await handler.execute(new GetAllDataQuery(Principal.open(), { limit: 4 }));

    expect(idsOf((await drainChunks(view.chunks)).flat())).toEqual(idsOfRecords(records.slice(0, 4)));
    expect(view.nextAfter).toBe(records[3].id.value);
  });

  it('returns the last page without a cursor', async () => {
    const view = await handler.execute(new GetAllDataQuery(Principal.open(), { limit: 4, after: records[3].id.value }));

    expect(idsOf((await drainChunks(view.chunks)).flat())).toEqual(idsOfRecords(records.slice(4)));
    expect(view.nextAfter).toBeUndefined();
  });

  it('applies after, since, until and include', async () => {
    const view = await handler.execute(
      new GetAllDataQuery(Principal.open(), {
        after: records[1].id.value,
        since: '2026-11-29T10:01:00Z',
        until: '2026-11-29T10:05:00Z',
        includePayload: true,
      }),
    );

    const rows = (await drainChunks(view.chunks)).flat();
    expect(idsOf(rows)).toEqual(idsOfRecords(records.slice(2, 5)));
    expect(rows.map((row) => row.payloadJson)).toEqual(['{"n":2}', '{"n":3}', '{"n":4}']);
    expect(view.includePayload).toBe(true);
  });

  it.each<[string, DataListFilter, unknown]>([
    ['a malformed cursor', { after: 'abc' }, InvalidDataIdError],
    ['a malformed since', { since: '29/11/2026' }, InvalidTimestampError],
    ['an until in month 13', { until: '2026-13-01T00:00:00Z' }, InvalidTimestampError],
    ['a cursor that names no record', { limit: 5, after: '019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69' }, UnknownCursorError],
  ])('rejects %s with the domain error', async (_case, filter, type) => {
    await expect(handler.execute(new GetAllDataQuery(Principal.open(), filter))).rejects.toBeInstanceOf(type);
  });

  it('refuses every partner at once to a partner key (403), and serves an admin key', async () => {
    await expect(handler.execute(new GetAllDataQuery(PrincipalMother.partner('acme')))).rejects.toBeInstanceOf(
      PartnerAccessDeniedError,
    );
    await expect(
      handler.execute(new GetAllDataQuery(PrincipalMother.partner('acme'), { limit: 0 as number, after: 'bad' })),
    ).rejects.toBeInstanceOf(PartnerAccessDeniedError);
    const view = await handler.execute(new GetAllDataQuery(PrincipalMother.admin()));
    expect(idsOf((await drainChunks(view.chunks)).flat())).toEqual(idsOfRecords(records));
  });
});
