import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestApp, createTestDatabase, TestDatabase } from './support/test-app';

describe('smoke', () => {
  let database: TestDatabase;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    database = createTestDatabase();
    app = await createTestApp(database);
  });

  afterAll(async () => {
    await app.close();
    database.remove();
  });

  it('ingests and reads back', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/ingest',
      payload: { partner_id: 'acme', payload: { a: 1 } },
    });
    expect(created.statusCode).toBe(201);
    const read = await app.inject({ method: 'GET', url: `/ingest/${created.json().id}` });
    expect(read.json()).toEqual({ ...created.json(), payload: { a: 1 } });
  });
});
