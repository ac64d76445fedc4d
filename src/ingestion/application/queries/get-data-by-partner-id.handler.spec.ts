import { drainChunks } from '../../../../test/fakes/drain-chunks';
import { InMemoryRecordReadModel } from '../../../../test/fakes/in-memory-record.read-model';
import { IngestedDataMother } from '../../../../test/mothers/ingested-data.mother';
import { PartnerIdMother } from '../../../../test/mothers/partner-id.mother';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { InvalidDataIdError, InvalidPartnerIdError, InvalidTimestampError } from '../../domain/ingestion.errors';
import type { DataListFilter } from '../ports/record.read-model';
import { GetDataByPartnerIdHandler } from './get-data-by-partner-id.handler';
import { GetDataByPartnerIdQuery } from './get-data-by-partner-id.query';
import { Principal } from '../../../access/domain/principal.value-object';
import { PrincipalMother } from '../../../../test/mothers/principal.mother';
import { PartnerAccessDeniedError } from '../../../access/domain/access.errors';

const idsOf = (rows: Array<{ id: string }>) => rows.map((row) => row.id);
const idsOfRecords = (records: IngestedData[]) => records.map((record) => record.id.value);
const byPartner = (principal: Principal, partnerId: string, filter: DataListFilter = {}) =>
  new GetDataByPartnerIdQuery(principal, { ...filter, partnerId });

describe('GetDataByPartnerIdHandler', () => {
  let readModel: InMemoryRecordReadModel;
  let handler: GetDataByPartnerIdHandler;
  /** Nine records, 10:00 to 10:08, one a minute: acme, globex, acme, globex, … */
  let records: IngestedData[];
  let acme: IngestedData[];

  beforeEach(() => {
    readModel = new InMemoryRecordReadModel({ chunkSize: 2 });
    handler = new GetDataByPartnerIdHandler(readModel);
    records = IngestedDataMother.series(9, { partnerIds: ['acme', 'globex'], start: '2026-11-29T10:00:00.000Z' });
    acme = records.filter((record) => record.partnerId.value === 'acme');
    readModel.add(...records);
  });

  it('streams only that partner’s records, in ingestion order, in chunks', async () => {
    const view = await handler.execute(byPartner(Principal.open(), 'acme'));

    const chunks = await drainChunks(view.chunks);

    expect(chunks.map((chunk) => chunk.length)).toEqual([2, 2, 1]);
    expect(idsOf(chunks.flat())).toEqual(idsOfRecords(acme));
    expect(chunks.flat().every((row) => row.partnerId === 'acme')).toBe(true);
    expect(view.nextAfter).toBeUndefined();
  });

  it('lists nothing for a partner without records, in both modes', async () => {
    const streamed = await handler.execute(byPartner(Principal.open(), 'initech'));
    const paged = await handler.execute(byPartner(Principal.open(), 'initech', { limit: 10 }));

    expect((await drainChunks(streamed.chunks)).flat()).toEqual([]);
    expect((await drainChunks(paged.chunks)).flat()).toEqual([]);
    expect(paged.nextAfter).toBeUndefined();
  });

  it('pages through the partner’s records with the cursor of each page’s last record', async () => {
    const first = await handler.execute(byPartner(Principal.open(), 'acme', { limit: 3 }));
    const second = await handler.execute(byPartner(Principal.open(), 'acme', { limit: 3, after: first.nextAfter }));

    expect(idsOf((await drainChunks(first.chunks)).flat())).toEqual(idsOfRecords(acme.slice(0, 3)));
    expect(first.nextAfter).toBe(acme[2].id.value);
    expect(idsOf((await drainChunks(second.chunks)).flat())).toEqual(idsOfRecords(acme.slice(3)));
    expect(second.nextAfter).toBeUndefined();
  });

  it('applies since, until and include within the partner', async () => {
    const view = await handler.execute(
      byPartner(Principal.open(), 'globex', {
        since: '2026-11-29T10:03:00.000Z',
        until: '2026-11-29T10:07:00.000Z',
        includePayload: true,
      }),
    );

    const rows = (await drainChunks(view.chunks)).flat();
    expect(idsOf(rows)).toEqual([records[3].id.value, records[5].id.value]);
    expect(rows.map((row) => row.payloadJson)).toEqual(['{"n":3}', '{"n":5}']);
  });

  it.each([
    ['an empty id', ''],
    ['a space', 'ac me'],
    ['a slash', 'acme/eu'],
    ['a leading hyphen', '-acme'],
    ['65 characters', PartnerIdMother.ofLength(65)],
    ['unicode', 'acmé'],
  ])('rejects a partner id with %s with InvalidPartnerIdError', async (_case, partnerId) => {
    await expect(handler.execute(byPartner(Principal.open(), partnerId))).rejects.toBeInstanceOf(InvalidPartnerIdError);
    await expect(handler.execute(byPartner(Principal.open(), partnerId, { limit: 5 }))).rejects.toMatchObject({
      code: 'invalid-partner-id',
      field: 'partner_id',
    });
  });

  it('rejects invalid options with the domain errors', async () => {
    await expect(handler.execute(byPartner(Principal.open(), 'acme', { after: 'x' }))).rejects.toBeInstanceOf(
      InvalidDataIdError,
    );
    await expect(handler.execute(byPartner(Principal.open(), 'acme', { since: 'x' }))).rejects.toBeInstanceOf(
      InvalidTimestampError,
    );
  });

  it("refuses another partner's list to a partner key (403), after checking the partner id (400)", async () => {
    await expect(handler.execute(byPartner(PrincipalMother.partner('acme'), 'globex'))).rejects.toBeInstanceOf(
      PartnerAccessDeniedError,
    );
    await expect(handler.execute(byPartner(PrincipalMother.partner('acme'), '../globex'))).rejects.toBeInstanceOf(
      InvalidPartnerIdError,
    );
    const own = await handler.execute(byPartner(PrincipalMother.partner('acme'), 'acme'));
    expect(idsOf((await drainChunks(own.chunks)).flat())).toEqual(idsOfRecords(acme));
    const admin = await handler.execute(byPartner(PrincipalMother.admin(), 'globex'));
    expect((await drainChunks(admin.chunks)).flat().every((row) => row.partnerId === 'globex')).toBe(true);
  });
});
