import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { expectProblem, get, ingestOk, JSON_CONTENT_TYPE, Receipt, StoredRecord } from './support/http';
import { useTestApp } from './support/test-app';

describe('GET /ingest/:id', () => {
  const context = useTestApp();
  let stored: Receipt;
  const payload = { order: { id: 'A-1', lines: [{ sku: 'x', qty: 2 }] }, paid: true, note: null };

  beforeAll(async () => {
    stored = await ingestOk(context.app, 'acme', payload);
    await ingestOk(context.app, 'globex', { other: 'record' });
  });

  it('answers 200 with exactly {id, partner_id, timestamp, payload}', async () => {
    const response = await get(context.app, `/ingest/${stored.id}`);

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(JSON_CONTENT_TYPE);
    const record = response.json<StoredRecord>();
    expect(Object.keys(record)).toEqual(['id', 'partner_id', 'timestamp', 'payload']);
    expect(record).toEqual({ ...stored, payload });
  });

  it('answers the same for the Location given by POST /ingest', async () => {
    const created = await context.app.inject({
      method: 'POST',
      url: '/ingest',
      payload: { partner_id: 'initech', payload: { via: 'location' } },
    });
    const response = await get(context.app, created.headers.location as string);

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ ...created.json<Receipt>(), payload: { via: 'location' } });
  });

  it('answers 404 problem+json for an unknown UUIDv7', async () => {
    const unknown = uuidv7();
    const problem = expectProblem(await get(context.app, `/ingest/${unknown}`), 404, { type: /data-not-found$/ });
    expect(problem.errors).toBeUndefined();
  });

  it.each([
    ['a word', 'nope'],
    ['a number', '12345'],
    ['a UUID version 4', uuidv4()],
    ['a UUID without dashes', uuidv7().replace(/-/g, '')],
    ['a UUID with braces', `%7B${uuidv7()}%7D`],
    ['a long string', 'x'.repeat(90)],
    ['a string past the default parameter length of Fastify (100)', 'x'.repeat(300)],
    ['SQL', encodeURIComponent("' OR 1=1 --")],
    ['percent-encoded unicode', encodeURIComponent('日本')],
  ])('answers 404 problem+json for a string that is not a UUIDv7: %s', async (_case, id) => {
    expectProblem(await get(context.app, `/ingest/${id}`), 404);
  });

  it('answers 404 problem+json for an unknown route', async () => {
    expectProblem(await get(context.app, '/ingest/partner/acme/extra'), 404);
  });

  it('answers 405 problem+json with Allow for a method the record does not have', async () => {
    const response = await context.app.inject({ method: 'DELETE', url: `/ingest/${stored.id}` });

    expectProblem(response, 405, { type: 'urn:problem-type:ingestion:method-not-allowed' });
    expect(response.headers.allow).toBe('GET, HEAD, OPTIONS');
  });
});
