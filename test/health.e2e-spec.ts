import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { ShutdownState } from '../src/health/shutdown-state';
import { expectProblem, get, ingest, JSON_CONTENT_TYPE } from './support/http';
import { createTestApp, createTestDatabase, TestDatabase, useTestApp } from './support/test-app';

describe('health', () => {
  const context = useTestApp();

  it('GET /health/live answers 200', async () => {
    const response = await get(context.app, '/health/live');

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(JSON_CONTENT_TYPE);
    expect(response.json()).toEqual({ status: 'ok' });
    expect(response.headers['x-request-id']).toEqual(expect.any(String));
  });

  it('GET /health/ready answers 200 with the database up and taking writes', async () => {
    const response = await get(context.app, '/health/ready');

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(JSON_CONTENT_TYPE);
    expect(response.json()).toEqual(
      expect.objectContaining({
        status: 'ok',
        info: {
          database: { status: 'up' },
          database_writes: { status: 'up' },
          event_delivery: { status: 'up', sink: 'in-process', sink_state: 'reachable' },
          access_control: { status: 'up', mode: 'open', warning: expect.stringContaining('access control is off') },
        },
        error: {},
      }),
    );
    expect(response.headers['x-request-id']).toEqual(expect.any(String));
  });
});

describe('health when the service cannot serve', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;

  beforeEach(async () => {
    database = await createTestDatabase();
    app = await createTestApp(database);
  });

  afterEach(async () => {
    await app.close();
    await database.remove();
  });

  it('GET /health/ready answers 503 problem+json once shutdown has begun; live stays 200', async () => {
    app.get(ShutdownState).begin();

    expectProblem(await get(app, '/health/ready'), 503);
    expect((await get(app, '/health/live')).statusCode).toBe(200);
  });

  it('while leaving rotation responses keep their connection; once draining each asks its client to close it', async () => {
    const shutdown = app.get(ShutdownState);
    shutdown.begin();
    expect((await get(app, '/health/live')).headers.connection).toBe('keep-alive');

    shutdown.drain();
    expect((await get(app, '/health/live')).headers.connection).toBe('close');
    expectProblem(await get(app, '/health/ready'), 503);
  });

  it('GET /health/ready answers 503 problem+json when the database does not answer', async () => {
    await app.get(DataSource).destroy();

    const response = await get(app, '/health/ready');
    expectProblem(response, 503);
    expect((await get(app, '/health/live')).statusCode).toBe(200);
  });

  it('a database failure while ingesting is a 500 problem+json without internals (logged server-side)', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    await app.get(DataSource).destroy();

    const response = await ingest(app, { partner_id: 'acme', payload: { secret: 'not in the error' } });
    expect(response.body).not.toContain('not in the error');
    expectProblem(response, 500);
    expect(logged).toHaveBeenCalled();
    logged.mockRestore();
  });
});
