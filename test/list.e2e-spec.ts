import { v7 as uuidv7 } from 'uuid';
import {
  expectProblem,
  get,
  ingestOk,
  injectComplete,
  JSON_CONTENT_TYPE,
  NDJSON_CONTENT_TYPE,
  nextLink,
  parseNdjson,
  Receipt,
  StoredRecord,
} from './support/http';
import { insertRows, SeedRow, seedRows } from './support/database';
import { useTestApp } from './support/test-app';

const NDJSON = { accept: 'application/x-ndjson' };

/** Partner of the n-th record ingested by the fixture: acme 7, globex 4, initech 1. */
const PARTNERS = [
  'acme',
  'globex',
  'acme',
  'initech',
  'acme',
  'globex',
  'acme',
  'acme',
  'globex',
  'acme',
  'globex',
  'acme',
];

function ids(records: Array<{ id: string }>): string[] {
  return records.map((record) => record.id);
}

describe('list routes', () => {
  const context = useTestApp();
  const receipts: Receipt[] = [];
  const payloads = new Map<string, Record<string, unknown>>();

  beforeAll(async () => {
    for (const [n, partnerId] of PARTNERS.entries()) {
      const payload = { n, partner: partnerId, nested: { z: n, a: [n] } };
      const receipt = await ingestOk(context.app, partnerId, payload);
      receipts.push(receipt);
      payloads.set(receipt.id, payload);
    }
  });

  describe.each([
    ['/ingest/all', () => receipts],
    ['/ingest/partner/acme', () => receipts.filter((receipt) => receipt.partner_id === 'acme')],
    ['/ingest/partner/globex', () => receipts.filter((receipt) => receipt.partner_id === 'globex')],
  ])('GET %s', (path, expectedRecords) => {
    it('answers a bare JSON array of {id, partner_id, timestamp} in ingestion order', async () => {
      const response = await get(context.app, path);

      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(JSON_CONTENT_TYPE);
      expect(response.headers.link).toBeUndefined();
      const body = response.json<Receipt[]>();
      expect(Array.isArray(body)).toBe(true);
      expect(body).toEqual(expectedRecords());
      for (const element of body) expect(Object.keys(element)).toEqual(['id', 'partner_id', 'timestamp']);
      expect(response.body).toBe(JSON.stringify(expectedRecords()));
    });

    it('answers the same list for Accept: application/json and */*', async () => {
      expect((await get(context.app, path, { accept: 'application/json' })).json()).toEqual(expectedRecords());
      expect((await get(context.app, path, { accept: '*/*' })).json()).toEqual(expectedRecords());
    });

    it('with ?limit=N answers the first N and a Link to the next page', async () => {
      const response = await get(context.app, `${path}?limit=2`);

      expect(response.statusCode).toBe(200);
      const page = response.json<Receipt[]>();
      expect(page).toEqual(expectedRecords().slice(0, 2));
      expect(response.headers.link).toBe(`<${path}?limit=2&after=${page[1].id}>; rel="next"`);
    });

    it('following the Link headers pages through every record exactly once, in order', async () => {
      const seen: string[] = [];
      let url: string | undefined = `${path}?limit=3`;
      let pages = 0;
      while (url !== undefined) {
        const response = await get(context.app, url);
        expect(response.statusCode).toBe(200);
        const page = response.json<Receipt[]>();
        expect(page.length).toBeGreaterThan(0);
        expect(page.length).toBeLessThanOrEqual(3);
        seen.push(...ids(page));
        url = nextLink(response);
        if (url !== undefined) expect(url).toBe(`${path}?limit=3&after=${page[page.length - 1].id}`);
        pages++;
        expect(pages).toBeLessThanOrEqual(expectedRecords().length);
      }
      expect(seen).toEqual(ids(expectedRecords()));
      expect(pages).toBe(Math.ceil(expectedRecords().length / 3));
    });

    it('sends no Link when the page holds the last record', async () => {
      const count = expectedRecords().length;
      const exact = await get(context.app, `${path}?limit=${count}`);
      expect(exact.json()).toEqual(expectedRecords());
      expect(exact.headers.link).toBeUndefined();

      const larger = await get(context.app, `${path}?limit=1000`);
      expect(larger.json()).toEqual(expectedRecords());
      expect(larger.headers.link).toBeUndefined();

      const almost = await get(context.app, `${path}?limit=${count - 1}`);
      expect(almost.headers.link).toBeDefined();
    });

    it('with ?after=<id> answers only the records after it', async () => {
      const records = expectedRecords();
      const cursor = records[1].id;

      expect((await get(context.app, `${path}?after=${cursor}`)).json()).toEqual(records.slice(2));
      expect((await get(context.app, `${path}?after=${cursor}&limit=1`)).json()).toEqual(records.slice(2, 3));
      expect((await get(context.app, `${path}?after=${records[records.length - 1].id}`)).json()).toEqual([]);
    });

    it('with ?include=payload adds each payload, keys in order', async () => {
      const response = await get(context.app, `${path}?include=payload`);

      expect(response.statusCode).toBe(200);
      const body = response.json<StoredRecord[]>();
      expect(body).toEqual(expectedRecords().map((receipt) => ({ ...receipt, payload: payloads.get(receipt.id) })));
      for (const element of body) expect(Object.keys(element)).toEqual(['id', 'partner_id', 'timestamp', 'payload']);
      expect(response.body).toContain(`"payload":${JSON.stringify(payloads.get(expectedRecords()[0].id))}}`);
    });

    it('keeps include=payload in the next Link', async () => {
      const first = await get(context.app, `${path}?include=payload&limit=2`);
      const next = nextLink(first)!;
      expect(new URL(next, 'http://localhost').searchParams.get('include')).toBe('payload');
      const second = await get(context.app, next);
      expect(second.json<StoredRecord[]>()).toEqual(
        expectedRecords()
          .slice(2, 4)
          .map((receipt) => ({ ...receipt, payload: payloads.get(receipt.id) })),
      );
    });

    it('with Accept: application/x-ndjson answers one JSON object per line', async () => {
      const response = await get(context.app, path, NDJSON);

      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(NDJSON_CONTENT_TYPE);
      expect(response.body.split('\n')).toHaveLength(expectedRecords().length + 1);
      expect(parseNdjson(response.body)).toEqual(expectedRecords());
    });

    it('with NDJSON honours limit, Link and include=payload', async () => {
      const response = await get(context.app, `${path}?limit=2&include=payload`, NDJSON);

      expect(response.headers['content-type']).toMatch(NDJSON_CONTENT_TYPE);
      expect(parseNdjson(response.body)).toEqual(
        expectedRecords()
          .slice(0, 2)
          .map((receipt) => ({ ...receipt, payload: payloads.get(receipt.id) })),
      );
      expect(nextLink(response)).toBeDefined();
    });
  });

  it('/ingest/partner/:partner_id answers [] for a partner without records', async () => {
    const response = await get(context.app, '/ingest/partner/nobody');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(JSON_CONTENT_TYPE);
    expect(response.body).toBe('[]');

    const ndjson = await get(context.app, '/ingest/partner/nobody', NDJSON);
    expect(ndjson.statusCode).toBe(200);
    expect(ndjson.headers['content-type']).toMatch(NDJSON_CONTENT_TYPE);
    expect(ndjson.body).toBe('');
  });

  it('/ingest/partner/:partner_id matches the partner exactly (case-sensitive, no prefix match)', async () => {
    expect((await get(context.app, '/ingest/partner/ACME')).json()).toEqual([]);
    expect((await get(context.app, '/ingest/partner/acm')).json()).toEqual([]);
    expect((await get(context.app, '/ingest/partner/initech')).json()).toEqual(
      receipts.filter((receipt) => receipt.partner_id === 'initech'),
    );
  });

  it('/ingest/partner/:partner_id with ?after=<id of another partner> continues after that record', async () => {
    const globexAfterFirstAcme = receipts.slice(1).filter((receipt) => receipt.partner_id === 'globex');
    expect((await get(context.app, `/ingest/partner/globex?after=${receipts[0].id}`)).json()).toEqual(
      globexAfterFirstAcme,
    );
  });

  it.each([
    ['starting with "-"', '-acme'],
    ['starting with "."', '.acme'],
    ['65 characters', 'p'.repeat(65)],
    ['of 300 characters (past the default parameter length of Fastify)', 'p'.repeat(300)],
    ['with a space', 'ac%20me'],
    ['with a non-ASCII letter', encodeURIComponent('acmé')],
    ['with a percent-encoded slash', 'acme%2Feu'],
  ])('/ingest/partner/:partner_id answers 400 for a partner_id %s', async (_case, partnerId) => {
    expectProblem(await get(context.app, `/ingest/partner/${partnerId}`), 400, { fields: ['partner_id'] });
  });

  describe.each(['/ingest/all', '/ingest/partner/acme'])('invalid query parameters on %s', (path) => {
    it.each([
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=', 'limit'],
      ['limit=1e2', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['include=payloads', 'include'],
      ['include=id', 'include'],
      ['include=', 'include'],
      ['since=yesterday', 'since'],
      ['until=2026-13-01T00:00:00Z', 'until'],
      ['verbose=true', 'verbose'],
      ['partner_id=acme', 'partner_id'],
      ['__proto__=1', '__proto__'],
      ['constructor=1', 'constructor'],
      ['hasOwnProperty=1', 'hasOwnProperty'],
      ['toString=1', 'toString'],
    ])('answers 400 for ?%s, naming %s', async (query, field) => {
      expectProblem(await get(context.app, `${path}?${query}`), 400, { fields: [field] });
    });

    it.each(['limit=1', 'limit=1000'])('accepts ?%s', async (query) => {
      expect((await get(context.app, `${path}?${query}`)).statusCode).toBe(200);
    });

    it.each([
      ['not a UUID', 'not-a-uuid'],
      ['a UUID version 4', '9b2b7c3e-5f1a-4c1e-9d6a-2f3b4c5d6e7f'],
      ['an upper-case UUIDv7', '01890A5D-AC96-774B-BCCE-B302099A8057'],
      ['empty', ''],
    ])('answers 400 for an after that is %s', async (_case, after) => {
      expectProblem(await get(context.app, `${path}?after=${after}`), 400);
    });

    it('names the query parameter "after" in errors[].field when it is not a record id', async () => {
      expectProblem(await get(context.app, `${path}?after=not-a-uuid`), 400, { fields: ['after'] });
    });

    it('answers 400 for an after that names no record, with a limit', async () => {
      expectProblem(await get(context.app, `${path}?limit=5&after=${uuidv7()}`), 400, {
        type: /unknown-cursor$/,
        fields: ['after'],
      });
    });

    it('answers 400 for an after that names no record, without a limit (streamed list)', async () => {
      const response = await injectComplete(context.app, { method: 'GET', url: `${path}?after=${uuidv7()}` });
      expectProblem(response, 400, { type: /unknown-cursor$/, fields: ['after'] });
    });

    it('answers 400 for an after that names no record, as NDJSON', async () => {
      const response = await injectComplete(context.app, {
        method: 'GET',
        url: `${path}?after=${uuidv7()}`,
        headers: NDJSON,
      });
      expectProblem(response, 400, { type: /unknown-cursor$/, fields: ['after'] });
    });
  });

  it('keeps serving lists after a rejected cursor', async () => {
    await context.app.inject({ method: 'GET', url: `/ingest/all?after=${uuidv7()}` }).catch(() => undefined);
    const response = await get(context.app, '/ingest/all');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(receipts);
  });
});

describe('list routes: ?since= and ?until=', () => {
  const context = useTestApp();
  let rows: SeedRow[];
  /** Row n has timestamp 2026-01-01T00:0n:00.000Z; partners alternate acme, globex. */
  const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;

  function summaries(selected: SeedRow[]): Receipt[] {
    return selected.map((row) => ({ id: row.id, partner_id: row.partner_id, timestamp: row.timestamp }));
  }

  beforeAll(async () => {
    rows = seedRows(10, (index) => (index % 2 === 0 ? 'acme' : 'globex'), new Date(at(0))).map((row, index) => ({
      ...row,
      timestamp: at(index),
    }));
    await insertRows(context.database, rows);
  });

  it('sees the seeded rows', async () => {
    expect((await get(context.app, '/ingest/all')).json()).toEqual(summaries(rows));
  });

  it('since is inclusive', async () => {
    expect((await get(context.app, `/ingest/all?since=${at(3)}`)).json()).toEqual(summaries(rows.slice(3)));
  });

  it('until is exclusive', async () => {
    expect((await get(context.app, `/ingest/all?until=${at(3)}`)).json()).toEqual(summaries(rows.slice(0, 3)));
  });

  it('since and until combine into a half-open range', async () => {
    expect((await get(context.app, `/ingest/all?since=${at(2)}&until=${at(5)}`)).json()).toEqual(
      summaries(rows.slice(2, 5)),
    );
    expect((await get(context.app, `/ingest/all?since=${at(4)}&until=${at(4)}`)).json()).toEqual([]);
    expect((await get(context.app, `/ingest/all?since=${at(6)}&until=${at(2)}`)).json()).toEqual([]);
  });

  it('accepts any RFC 3339 form: a numeric offset, no fraction, more fraction digits', async () => {
    const plusOneHour = encodeURIComponent('2026-01-01T01:03:00+01:00');
    expect((await get(context.app, `/ingest/all?since=${plusOneHour}`)).json()).toEqual(summaries(rows.slice(3)));
    const minusOffset = encodeURIComponent('2025-12-31T23:33:00-00:30');
    expect((await get(context.app, `/ingest/all?until=${minusOffset}`)).json()).toEqual(summaries(rows.slice(0, 3)));
    expect((await get(context.app, '/ingest/all?since=2026-01-01T00:07:00Z')).json()).toEqual(summaries(rows.slice(7)));
    expect((await get(context.app, '/ingest/all?until=2026-01-01T00:01:00.000000Z')).json()).toEqual(
      summaries(rows.slice(0, 1)),
    );
  });

  it('filters by partner and time together', async () => {
    const response = await get(context.app, `/ingest/partner/globex?since=${at(2)}&until=${at(8)}`);
    expect(response.json()).toEqual(summaries(rows.slice(2, 8).filter((row) => row.partner_id === 'globex')));
  });

  it('keeps since and until in the next Link, and the pages cover the range exactly once', async () => {
    const first = await get(context.app, `/ingest/all?since=${at(1)}&until=${at(9)}&limit=3`);
    const link = nextLink(first)!;
    const parameters = new URL(link, 'http://localhost').searchParams;
    expect(parameters.get('since')).toBe(at(1));
    expect(parameters.get('until')).toBe(at(9));
    expect(parameters.get('limit')).toBe('3');

    const seen = ids(first.json<Receipt[]>());
    let url: string | undefined = link;
    while (url !== undefined) {
      const response = await get(context.app, url);
      seen.push(...ids(response.json<Receipt[]>()));
      url = nextLink(response);
    }
    expect(seen).toEqual(ids(rows.slice(1, 9)));
  });

  it.each([
    ['a word', 'yesterday'],
    ['a date without time', '2026-01-01'],
    ['no time zone', '2026-01-01T00:00:00'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['February 30', '2026-02-30T00:00:00Z'],
    ['hour 25', '2026-01-01T25:00:00Z'],
    ['epoch seconds', '1767225600'],
  ])('answers 400 for a since that is %s', async (_case, value) => {
    expectProblem(await get(context.app, `/ingest/all?since=${value}`), 400, { fields: ['since'] });
    expectProblem(await get(context.app, `/ingest/partner/acme?until=${value}`), 400, { fields: ['until'] });
  });
});
