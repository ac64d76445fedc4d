import { countRows } from './support/database';
import { get, ingest, PROBLEM_CONTENT_TYPE, waitFor } from './support/http';
import { metricValue } from './support/metrics';
import { useTestApp } from './support/test-app';

/** Blocks this thread (and so the app's event loop, which is this one) for `ms`. */
function busyWait(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

/**
 * Simulated lag: every few milliseconds the event loop is blocked for 60 ms, so its mean
 * delay stays far above the 20 ms threshold while the app still serves requests in between.
 */
function startLag(): () => void {
  const timer = setInterval(() => busyWait(60), 5);
  return () => clearInterval(timer);
}

describe('load shedding (event loop lag past LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS)', () => {
  const context = useTestApp({
    env: { LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS: '20', LOAD_SHEDDING_SAMPLE_INTERVAL_MS: '50' },
  });
  let stopLag: (() => void) | undefined;

  const underPressure = () =>
    (context.app.getHttpAdapter().getInstance() as unknown as { isUnderPressure(): boolean }).isUnderPressure();

  afterEach(async () => {
    stopLag?.();
    stopLag = undefined;
    await waitFor(() => !underPressure(), 'the lag to clear');
  });

  async function whileLagging<T>(action: () => Promise<T>): Promise<T> {
    stopLag = startLag();
    await waitFor(underPressure, 'the app to notice the lag');
    return action();
  }

  it('serves ingests while the event loop keeps up', async () => {
    // The app's own start (compiling modules, migrating) may lag past 20 ms in the first samples.
    await waitFor(() => !underPressure(), 'the lag of the start to clear');
    expect((await ingest(context.app, { partner_id: 'acme', payload: { calm: true } })).statusCode).toBe(201);
  });

  it('refuses a new ingest with 503 problem+json and Retry-After, storing nothing', async () => {
    const rowsBefore = await countRows(context.database);

    const response = await whileLagging(() =>
      ingest(context.app, { partner_id: 'acme', payload: { shed: true } }, { 'x-request-id': 'shed-1' }),
    );

    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(PROBLEM_CONTENT_TYPE);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.headers['x-request-id']).toBe('shed-1');
    expect(response.json()).toEqual({
      type: 'urn:problem-type:ingestion:overloaded',
      title: 'Service Unavailable',
      status: 503,
      detail: expect.stringContaining('retry later'),
    });
    stopLag!();
    expect(await countRows(context.database)).toBe(rowsBefore);
    // Counted like any response: the route template and its 503.
    expect(
      await metricValue(context.app, 'http_request_duration_seconds_count', {
        method: 'POST',
        route: '/ingest',
        status: '503',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('refuses a batch the same way', async () => {
    const response = await whileLagging(() =>
      context.app.inject({
        method: 'POST',
        url: '/ingest/batch',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ records: [{ partner_id: 'acme', payload: {} }] }),
      }),
    );

    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.headers['content-type']).toMatch(PROBLEM_CONTENT_TYPE);
  });

  it('keeps health, reads and metrics answering while it sheds ingests', async () => {
    const responses = await whileLagging(async () => ({
      live: await get(context.app, '/health/live'),
      ready: await get(context.app, '/health/ready'),
      list: await get(context.app, '/ingest/all?limit=1'),
      metrics: await get(context.app, '/metrics'),
      ingest: await ingest(context.app, { partner_id: 'acme', payload: {} }),
    }));

    expect(responses.live.statusCode).toBe(200);
    expect(responses.ready.statusCode).toBe(200);
    expect(responses.list.statusCode).toBe(200);
    expect(responses.metrics.statusCode).toBe(200);
    expect(responses.ingest.statusCode).toBe(503);
  });

  it('takes ingests again once the lag is over', async () => {
    await whileLagging(async () => {
      expect((await ingest(context.app, { partner_id: 'acme', payload: {} })).statusCode).toBe(503);
    });
    stopLag!();
    await waitFor(() => !underPressure(), 'the lag to clear');

    expect((await ingest(context.app, { partner_id: 'acme', payload: { again: true } })).statusCode).toBe(201);
  });
});

describe('load shedding turned off (LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS=0)', () => {
  const context = useTestApp({ env: { LOAD_SHEDDING_MAX_EVENT_LOOP_DELAY_MS: '0' } });

  it('serves ingests however much the event loop lags', async () => {
    const timer = setInterval(() => busyWait(60), 5);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await ingest(context.app, { partner_id: 'acme', payload: {} })).statusCode).toBe(201);
    } finally {
      clearInterval(timer);
    }
  });
});
