import { get, ingest, ingestOk, JSON_CONTENT_TYPE } from './support/http';
import { MetricSample, sampleSum, scrapeMetrics } from './support/metrics';
import { useTestApp } from './support/test-app';

/** The request count of one series of http_request_duration_seconds. */
function requests(samples: MetricSample[], labels: Record<string, string>): number {
  return sampleSum(samples, 'http_request_duration_seconds_count', labels);
}

describe('GET /metrics', () => {
  const context = useTestApp({ env: { DATABASE_POOL_SIZE: '7' } });

  it('answers the Prometheus text format, with Node default metrics', async () => {
    const response = await get(context.app, '/metrics');

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.headers['x-request-id']).toBeDefined();
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_gc_duration_seconds',
    ]) {
      expect(response.body).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    for (const name of [
      'http_request_duration_seconds',
      'ingest_records_total',
      'ingest_payload_bytes',
      'event_handler_failures_total',
    ]) {
      expect(response.body).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
    }
  });

  it('counts a known number of requests by method, route template and status', async () => {
    const before = await scrapeMetrics(context.app);
    const first = await ingestOk(context.app, 'metrics-acme', { n: 1 });
    const second = await ingestOk(context.app, 'metrics-acme', { n: 2 });
    await ingestOk(context.app, 'metrics-globex', { n: 3 });
    expect((await ingest(context.app, { partner_id: 'metrics-acme' })).statusCode).toBe(400);
    for (const id of [first.id, second.id, first.id])
      expect((await get(context.app, `/ingest/${id}`)).statusCode).toBe(200);
    expect((await get(context.app, '/ingest/019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69')).statusCode).toBe(404);
    expect((await get(context.app, '/ingest/partner/metrics-acme')).statusCode).toBe(200);
    expect((await get(context.app, '/ingest/partner/metrics-globex?limit=1')).statusCode).toBe(200);
    expect((await get(context.app, '/no/such/route')).statusCode).toBe(404);
    expect((await get(context.app, `/no/such/${first.id}`)).statusCode).toBe(404);

    const after = await scrapeMetrics(context.app);
    const delta = (labels: Record<string, string>) => requests(after, labels) - requests(before, labels);

    expect(delta({ method: 'POST', route: '/ingest', status: '201' })).toBe(3);
    expect(delta({ method: 'POST', route: '/ingest', status: '400' })).toBe(1);
    expect(delta({ method: 'GET', route: '/ingest/:id', status: '200' })).toBe(3);
    expect(delta({ method: 'GET', route: '/ingest/:id', status: '404' })).toBe(1);
    expect(delta({ method: 'GET', route: '/ingest/partner/:partner_id', status: '200' })).toBe(2);
    expect(delta({ method: 'GET', route: '(unmatched)', status: '404' })).toBe(2);
    // The scrape before counts itself once it is answered.
    expect(delta({ method: 'GET', route: '/metrics', status: '200' })).toBe(1);
    // Every request lands in the histogram's buckets too: +Inf equals the count.
    expect(
      sampleSum(after, 'http_request_duration_seconds_bucket', { route: '/ingest/:id', status: '200', le: '+Inf' }),
    ).toBe(requests(after, { route: '/ingest/:id', status: '200' }));
  });

  it('labels by route template only: no raw path, id or partner id ever becomes a label', async () => {
    const receipt = await ingestOk(context.app, 'label-check-partner', { n: 1 });
    await get(context.app, `/ingest/${receipt.id}`);
    await get(context.app, '/ingest/partner/label-check-partner?limit=5');
    await get(context.app, `/whatever/${receipt.id}?x=1`);

    const samples = await scrapeMetrics(context.app);
    const routes = new Set(
      samples.filter((sample) => sample.name.startsWith('http_request_duration_seconds')).map((s) => s.labels.route),
    );

    expect(routes).toContain('/ingest/:id');
    expect(routes).toContain('/ingest/partner/:partner_id');
    for (const route of routes) {
      expect(route).not.toContain(receipt.id);
      expect(route).not.toContain('label-check-partner');
      expect(route).toMatch(/^(\(unmatched\)|\/[a-z/:_*-]*)$/);
    }
  });

  it('counts committed records and their payload sizes, single and batch, but not replays or refusals', async () => {
    const before = await scrapeMetrics(context.app);
    const payload = { note: 'héllo ✓', n: 1 };
    await ingestOk(context.app, 'metrics-acme', payload);
    const batch = await context.app.inject({
      method: 'POST',
      url: '/ingest/batch',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        records: [
          { partner_id: 'metrics-acme', payload: {} },
          { partner_id: 'metrics-globex', payload: { a: [1, 2, 3] } },
        ],
      }),
    });
    expect(batch.statusCode).toBe(201);
    const keyed = { 'idempotency-key': `metrics-${Date.now()}` };
    expect((await ingest(context.app, { partner_id: 'metrics-acme', payload: { k: 1 } }, keyed)).statusCode).toBe(201);
    const replay = await ingest(context.app, { partner_id: 'metrics-acme', payload: { k: 1 } }, keyed);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await ingest(context.app, { partner_id: 'metrics-acme', payload: [] })).statusCode).toBe(400);

    const after = await scrapeMetrics(context.app);
    const delta = (name: string, labels: Record<string, string> = {}) =>
      sampleSum(after, name, labels) - sampleSum(before, name, labels);
    const sizes = [JSON.stringify(payload), '{}', '{"a":[1,2,3]}', '{"k":1}'].map((json) => Buffer.byteLength(json));

    expect(delta('ingest_records_total')).toBe(4);
    expect(delta('ingest_payload_bytes_count')).toBe(4);
    expect(delta('ingest_payload_bytes_sum')).toBe(sizes.reduce((sum, size) => sum + size, 0));
    expect(delta('ingest_payload_bytes_bucket', { le: '64' })).toBe(4);
  });

  it(`reports the database pool when on PostgreSQL, and nothing of a pool on SQLite`, async () => {
    const samples = await scrapeMetrics(context.app);
    const poolSeries = samples.filter((sample) => sample.name.startsWith('database_pool_'));

    if (context.database.kind === 'postgres') {
      expect(sampleSum(samples, 'database_pool_max_connections')).toBe(7);
      const inUse = sampleSum(samples, 'database_pool_connections', { state: 'in_use' });
      const idle = sampleSum(samples, 'database_pool_connections', { state: 'idle' });
      expect(inUse).toBeGreaterThanOrEqual(0);
      expect(idle).toBeGreaterThanOrEqual(1);
      expect(inUse + idle).toBeLessThanOrEqual(7);
      expect(sampleSum(samples, 'database_pool_waiting_requests')).toBe(0);
    } else {
      expect(poolSeries).toEqual([]);
    }
  });

  it('stays open and JSON-free: no body parsing, no auth, plain text even when JSON is asked for', async () => {
    const response = await context.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { accept: 'application/json' },
    });

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).not.toMatch(JSON_CONTENT_TYPE);
    expect(response.body).toContain('# TYPE http_request_duration_seconds histogram');
  });
});

describe('metrics of two apps in one process', () => {
  const first = useTestApp();
  const second = useTestApp();

  it('are counted apart (each app has its own registry)', async () => {
    const count = async (context: typeof first) => sampleSum(await scrapeMetrics(context.app), 'ingest_records_total');
    const [firstBefore, secondBefore] = [await count(first), await count(second)];

    await ingestOk(first.app, 'acme', {});
    await ingestOk(first.app, 'acme', {});
    await ingestOk(second.app, 'acme', {});

    expect((await count(first)) - firstBefore).toBe(2);
    expect((await count(second)) - secondBefore).toBe(1);
  });
});
