import type { InjectOptions } from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { ingestBodyLimitFor } from '../src/app.setup';
import { injectComplete, Receipt } from './support/http';
import { useTestApp } from './support/test-app';

describe('X-Request-Id', () => {
  const context = useTestApp();
  let stored: Receipt;

  beforeAll(async () => {
    stored = (
      await context.app.inject({ method: 'POST', url: '/ingest', payload: { partner_id: 'acme', payload: {} } })
    ).json<Receipt>();
  });

  const json = { 'content-type': 'application/json' };
  const requests: Array<[string, number, () => InjectOptions]> = [
    ['POST /ingest 201', 201, () => ({ method: 'POST', url: '/ingest', payload: { partner_id: 'acme', payload: {} } })],
    ['POST /ingest invalid JSON', 400, () => ({ method: 'POST', url: '/ingest', headers: json, payload: '{' })],
    ['POST /ingest invalid field', 400, () => ({ method: 'POST', url: '/ingest', payload: { partner_id: '-' } })],
    [
      'POST /ingest body over the limit',
      413,
      () => ({
        method: 'POST',
        url: '/ingest',
        headers: json,
        payload: ' '.repeat(ingestBodyLimitFor(262_144) + 1),
      }),
    ],
    [
      'POST /ingest text/plain',
      415,
      () => ({ method: 'POST', url: '/ingest', headers: { 'content-type': 'text/plain' }, payload: 'x' }),
    ],
    ['GET /ingest/:id 200', 200, () => ({ method: 'GET', url: `/ingest/${stored.id}` })],
    ['GET /ingest/:id 404', 404, () => ({ method: 'GET', url: `/ingest/${uuidv7()}` })],
    ['GET /ingest/all', 200, () => ({ method: 'GET', url: '/ingest/all' })],
    ['GET /ingest/all?limit=1', 200, () => ({ method: 'GET', url: '/ingest/all?limit=1' })],
    [
      'GET /ingest/all NDJSON',
      200,
      () => ({ method: 'GET', url: '/ingest/all', headers: { accept: 'application/x-ndjson' } }),
    ],
    ['GET /ingest/all 400', 400, () => ({ method: 'GET', url: '/ingest/all?limit=0' })],
    ['GET /ingest/partner/:partner_id', 200, () => ({ method: 'GET', url: '/ingest/partner/acme' })],
    ['GET /ingest/partner/:partner_id 400', 400, () => ({ method: 'GET', url: '/ingest/partner/-x' })],
    ['GET /health/live', 200, () => ({ method: 'GET', url: '/health/live' })],
    ['GET /health/ready', 200, () => ({ method: 'GET', url: '/health/ready' })],
    ['an unknown route', 404, () => ({ method: 'GET', url: '/nowhere' })],
  ];

  it.each(requests)('%s: echoes the X-Request-Id it was given', async (_case, status, request) => {
    const options = request();
    const requestId = `test-${Math.random().toString(36).slice(2)}`;
    const response = await injectComplete(context.app, {
      ...options,
      headers: { ...(options.headers as Record<string, string>), 'x-request-id': requestId },
    });

    expect(response.statusCode).toBe(status);
    expect(response.headers['x-request-id']).toBe(requestId);
  });

  it.each(requests)('%s: generates a fresh X-Request-Id when none is given', async (_case, status, request) => {
    const first = await injectComplete(context.app, request());
    const second = await injectComplete(context.app, request());

    expect(first.statusCode).toBe(status);
    for (const response of [first, second]) {
      expect(response.headers['x-request-id']).toEqual(expect.any(String));
      expect((response.headers['x-request-id'] as string).length).toBeGreaterThanOrEqual(8);
    }
    expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
  });
});
