import { drainChunks } from '../../../../test/fakes/drain-chunks';
import { InMemoryRecordReadModel } from '../../../../test/fakes/in-memory-record.read-model';
import { IngestedDataMother } from '../../../../test/mothers/ingested-data.mother';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import {
  InvalidDataIdError,
  InvalidPartnerIdError,
  InvalidTimestampError,
  UnknownCursorError,
} from '../../domain/ingestion.errors';
import type { DataListFilter } from '../ports/record.read-model';
import type { DataListItem, DataListView } from '../views/data-list.view';
import { readDataList, validDataListFilter } from './read-data-list';

const idsOf = (rows: Array<{ id: string }>) => rows.map((row) => row.id);
const idsOfRecords = (records: IngestedData[]) => records.map((record) => record.id.value);

describe('readDataList of a validDataListFilter', () => {
  let readModel: InMemoryRecordReadModel;
  /** Five records, 10:00 to 10:04, one a minute, acme and globex in turn. */
  let records: IngestedData[];

  beforeEach(() => {
    readModel = new InMemoryRecordReadModel({ chunkSize: 2 });
    records = IngestedDataMother.series(5, { partnerIds: ['acme', 'globex'], start: '2026-11-29T10:00:00.000Z' });
    readModel.add(...records);
  });

  /** The steps of both list queries: the filter checked by the value objects, then read. */
  async function read(filter: DataListFilter, partnerId?: string): Promise<DataListView> {
    return readDataList(readModel, validDataListFilter({ ...filter, partnerId }));
  }

  async function readAll(filter: DataListFilter, partnerId?: string): Promise<DataListItem[]> {
    const view = await read(filter, partnerId);
    return (await drainChunks(view.chunks)).flat();
  }

  describe('without a limit (streaming)', () => {
    it('yields every record in ingestion order, chunk by chunk, with no next cursor', async () => {
      const view = await read({});

      const chunks = await drainChunks(view.chunks);

      expect(chunks.map((chunk) => chunk.length)).toEqual([2, 2, 1]);
      expect(idsOf(chunks.flat())).toEqual(idsOfRecords(records));
      expect(chunks[0][0]).toEqual({
        id: records[0].id.value,
        partnerId: 'acme',
        timestamp: '2026-11-29T10:00:00.000Z',
      });
      expect(view.nextAfter).toBeUndefined();
      expect(view.includePayload).toBe(false);
    });

    it('yields no chunk at all when nothing matches', async () => {
      const view = await read({ since: '2027-01-01T00:00:00Z' });

      expect(await drainChunks(view.chunks)).toEqual([]);
    });

    it('continues after the cursor', async () => {
      expect(idsOf(await readAll({ after: records[2].id.value }))).toEqual(idsOfRecords(records.slice(3)));
    });

    it('continues after the upper-case spelling of the cursor as after the cursor itself', async () => {
      const upper = records[2].id.value.toUpperCase();

      expect(idsOf(await readAll({ after: upper }))).toEqual(idsOfRecords(records.slice(3)));
    });

    it('raises UnknownCursorError for a well-formed id that names no record', async () => {
      const unknown = IngestedDataMother.ingested().id.value;

      await expect(readAll({ after: unknown })).rejects.toBeInstanceOf(UnknownCursorError);
    });
  });

  describe('with a limit (one page)', () => {
    it('returns one chunk of at most `limit` records and the id to continue after', async () => {
      const view = await read({ limit: 2 });

      const chunks = await drainChunks(view.chunks);

      expect(chunks).toHaveLength(1);
      expect(idsOf(chunks[0])).toEqual(idsOfRecords(records.slice(0, 2)));
      expect(view.nextAfter).toBe(records[1].id.value);
    });

    it('sets no next cursor when the page holds the last records', async () => {
      const exact = await read({ limit: 5 });
      const larger = await read({ limit: 1000 });
      const oneShort = await read({ limit: 4 });

      expect(exact.nextAfter).toBeUndefined();
      expect(idsOf((await drainChunks(exact.chunks)).flat())).toEqual(idsOfRecords(records));
      expect(larger.nextAfter).toBeUndefined();
      expect(oneShort.nextAfter).toBe(records[3].id.value);
    });

    it('walks every record, page by page, with no gap and no duplicate', async () => {
      const pages: string[][] = [];
      let after: string | undefined;
      do {
        const view = await read({ limit: 2, after });
        pages.push(idsOf((await drainChunks(view.chunks)).flat()));
        after = view.nextAfter;
      } while (after !== undefined);

      expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
      expect(pages.flat()).toEqual(idsOfRecords(records));
    });

    it('returns an empty page and no next cursor when nothing matches', async () => {
      const view = await read({ limit: 10, after: records[4].id.value });

      expect((await drainChunks(view.chunks)).flat()).toEqual([]);
      expect(view.nextAfter).toBeUndefined();
    });

    it('raises UnknownCursorError at once for a well-formed id that names no record', async () => {
      const unknown = IngestedDataMother.ingested().id.value;

      await expect(read({ limit: 10, after: unknown })).rejects.toMatchObject({
        code: 'unknown-cursor',
        field: 'after',
      });
    });
  });

  describe('filters', () => {
    it('takes since as inclusive and until as exclusive', async () => {
      const rows = await readAll({ since: '2026-11-29T10:01:00.000Z', until: '2026-11-29T10:03:00.000Z' });

      expect(idsOf(rows)).toEqual(idsOfRecords(records.slice(1, 3)));
    });

    it('normalises since and until given with an offset', async () => {
      const rows = await readAll({ since: '2026-11-29T12:01:00+02:00', until: '2026-11-29T05:03:00-05:00' });

      expect(idsOf(rows)).toEqual(idsOfRecords(records.slice(1, 3)));
    });

    it('keeps only the partner asked for', async () => {
      expect(idsOf(await readAll({}, 'globex'))).toEqual([records[1].id.value, records[3].id.value]);
    });

    it('combines every filter with AND, and a limit on top', async () => {
      const view = await read(
        { limit: 1, after: records[0].id.value, since: '2026-11-29T10:01:00Z', until: '2026-11-29T10:05:00Z' },
        'acme',
      );

      expect(idsOf((await drainChunks(view.chunks)).flat())).toEqual([records[2].id.value]);
      expect(view.nextAfter).toBe(records[2].id.value);
    });

    it('carries each payload as stored JSON only when asked to', async () => {
      const withPayload = await read({ includePayload: true });
      const without = await read({ includePayload: false });

      expect(withPayload.includePayload).toBe(true);
      expect((await drainChunks(withPayload.chunks)).flat().map((row) => row.payloadJson)).toEqual(
        records.map((record) => record.payload.json),
      );
      expect(without.includePayload).toBe(false);
      expect((await drainChunks(without.chunks)).flat().every((row) => row.payloadJson === undefined)).toBe(true);
    });
  });

  describe('invalid filters', () => {
    it.each<[string, DataListFilter, unknown]>([
      ['a cursor that is not a UUID', { after: 'not-an-id' }, InvalidDataIdError],
      ['a version 4 cursor', { after: '3b241101-e2bb-4255-8caf-4136c566a962' }, InvalidDataIdError],
      ['a date-only since', { since: '2026-11-29' }, InvalidTimestampError],
      ['an until without zone', { until: '2026-11-29T10:00:00' }, InvalidTimestampError],
      ['an impossible date', { since: '2026-02-30T00:00:00Z' }, InvalidTimestampError],
    ])('raises the domain error for %s, in page and in stream mode, before reading', async (_case, filter, type) => {
      const findPage = jest.spyOn(readModel, 'findPage');
      const streamChunks = jest.spyOn(readModel, 'streamChunks');

      await expect(read(filter)).rejects.toBeInstanceOf(type);
      await expect(read({ ...filter, limit: 10 })).rejects.toBeInstanceOf(type);
      expect(findPage).not.toHaveBeenCalled();
      expect(streamChunks).not.toHaveBeenCalled();
    });

    it('names since and until in their errors', async () => {
      await expect(read({ since: 'yesterday' })).rejects.toMatchObject({ field: 'since' });
      await expect(read({ until: 'tomorrow' })).rejects.toMatchObject({ field: 'until' });
    });

    it('raises InvalidPartnerIdError for an invalid partner id', async () => {
      await expect(read({}, 'bad partner')).rejects.toBeInstanceOf(InvalidPartnerIdError);
      await expect(read({ limit: 1 }, '')).rejects.toMatchObject({
        code: 'invalid-partner-id',
        field: 'partner_id',
      });
    });
  });
});
