import { countRows } from './support/database';
import { expectProblem, get, ingestBatchRaw, ingestOk, ingestRaw, Receipt, StoredRecord } from './support/http';
import { useTestApp } from './support/test-app';

/** `{"k": <levels deep>, "k": 1}`: JSON.parse keeps only the shallow last value, the stored text would keep both. */
function deepBehindRepeatedKey(levels: number): string {
  return `{"k":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)},"k":1}`;
}

describe('input built to cost the service more than it costs the client', () => {
  const context = useTestApp();

  describe('a batch refused for its size costs the same whatever it holds', () => {
    it('answers {"records":[0,0,…]} with 2,000,000 elements (4 MB) at once with a 400 naming records', async () => {
      const body = `{"records":[${new Array(2_000_000).fill('0').join(',')}]}`;
      const before = await countRows(context.database);

      const started = performance.now();
      const response = await ingestBatchRaw(context.app, body);
      const elapsedMs = performance.now() - started;

      expectProblem(response, 400, { type: 'urn:problem-type:ingestion:invalid-batch', fields: ['records'] });
      expect(response.json<{ detail: string }>().detail).toMatch(/1 problem/);
      // Parsing 4 MB of JSON takes tens of milliseconds here; building 2,000,000 errors took about 7 s.
      expect(elapsedMs).toBeLessThan(2_000);
      expect(await countRows(context.database)).toBe(before);
    });
  });

  describe('the depth limit holds on the stored text, whatever the parser kept', () => {
    it.each([
      ['33 levels', 33],
      ['100,000 levels', 100_000],
    ])('refuses a payload whose first "k" is %s deep and whose last is shallow', async (_case, levels) => {
      const response = await ingestRaw(context.app, `{"partner_id":"acme","payload":${deepBehindRepeatedKey(levels)}}`);

      expectProblem(response, 400, { type: 'urn:problem-type:ingestion:invalid-payload', fields: ['payload'] });
    });

    it('refuses the same record inside a batch, naming it', async () => {
      const response = await ingestBatchRaw(
        context.app,
        `{"records":[{"partner_id":"acme","payload":{}},{"partner_id":"acme","payload":${deepBehindRepeatedKey(100_000)}}]}`,
      );

      expectProblem(response, 400, {
        type: 'urn:problem-type:ingestion:invalid-batch',
        fields: ['records[1].payload'],
      });
    });

    it('still stores a repeated key within the limit as written', async () => {
      const payload = deepBehindRepeatedKey(32);
      const created = await ingestRaw(context.app, `{"partner_id":"acme","payload":${payload}}`);
      expect(created.statusCode).toBe(201);

      const stored = await get(context.app, `/ingest/${created.json<Receipt>().id}`);

      expect(stored.body).toContain(`"payload":${payload}}`);
    });
  });

  describe('unpaired surrogate escapes are refused: the text would be no Unicode', () => {
    it.each([
      ['a lone high surrogate', '{"s":"\\ud800"}'],
      ['a lone low surrogate', '{"s":"x\\uDC00y"}'],
      ['a lone surrogate in a key', '{"\\ud83d":1}'],
    ])('answers %s with a 400 and stores nothing', async (_case, payload) => {
      const before = await countRows(context.database);

      const single = await ingestRaw(context.app, `{"partner_id":"acme","payload":${payload}}`);
      const batch = await ingestBatchRaw(context.app, `{"records":[{"partner_id":"acme","payload":${payload}}]}`);

      expectProblem(single, 400, { type: 'urn:problem-type:ingestion:invalid-payload', fields: ['payload'] });
      expectProblem(batch, 400, { type: 'urn:problem-type:ingestion:invalid-batch', fields: ['records[0].payload'] });
      expect(await countRows(context.database)).toBe(before);
    });

    it('keeps a pair of surrogate escapes and the character itself, byte for byte', async () => {
      const payload = '{"escaped":"\\ud83d\\ude00","raw":"😀","nul":"\\u0000"}';
      const created = await ingestRaw(context.app, `{"partner_id":"acme","payload":${payload}}`);
      expect(created.statusCode).toBe(201);

      const stored = await get(context.app, `/ingest/${created.json<Receipt>().id}`);

      expect(stored.body).toContain(`"payload":${payload}}`);
    });
  });

  describe('ids are case-insensitive on input (RFC 9562)', () => {
    it('reads a record by the upper-case spelling of its id and answers the canonical lower-case id', async () => {
      const receipt = await ingestOk(context.app, 'acme', { n: 1 });

      const response = await get(context.app, `/ingest/${receipt.id.toUpperCase()}`);

      expect(response.statusCode).toBe(200);
      expect(response.json<StoredRecord>()).toEqual({ ...receipt, payload: { n: 1 } });
    });

    it('continues a list after the upper-case spelling of a cursor', async () => {
      const first = await ingestOk(context.app, 'case-partner');
      const second = await ingestOk(context.app, 'case-partner');

      const response = await get(context.app, `/ingest/partner/case-partner?after=${first.id.toUpperCase()}`);

      expect(response.json<Receipt[]>()).toEqual([second]);
    });
  });

  it('quotes at most 100 characters of an id that names no record', async () => {
    const response = await get(context.app, `/ingest/${'x'.repeat(15_000)}`);

    const problem = expectProblem(response, 404);
    expect((problem.detail as string).length).toBeLessThan(160);
  });
});
