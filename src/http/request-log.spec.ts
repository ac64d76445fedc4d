import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { Writable } from 'node:stream';
import { installRequestLog } from './request-log';

describe('installRequestLog', () => {
  let fastify: FastifyInstance;
  let lines: Array<Record<string, unknown>>;

  beforeEach(async () => {
    lines = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    fastify = Fastify({ genReqId: () => 'req-1' });
    installRequestLog(fastify, () => logger);
    fastify.get('/items/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      if (id === 'gone') return reply.status(503).send({});
      if (id === 'full') return reply.status(507).send({});
      if (id === 'boom') return reply.status(500).send({});
      if (id === 'new') return reply.status(201).header('location', '/items/42').send({});
      return { id };
    });
    await fastify.ready();
  });

  afterEach(() => fastify.close());

  it('writes one line per request: id, method, route template, path without query, status, duration', async () => {
    await fastify.inject({ method: 'GET', url: '/items/7?secret=1' });

    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        reqId: 'req-1',
        method: 'GET',
        route: '/items/:id',
        path: '/items/7',
        status: 200,
        durationMs: expect.any(Number),
        msg: 'GET /items/:id 200',
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('secret');
  });

  it.each([
    ['7', 30],
    ['gone', 40],
    ['full', 40],
    ['boom', 50],
  ])('logs /items/%s at level %d (info below 500, warn for 503 and 507, error for other 5xx)', async (id, level) => {
    await fastify.inject({ method: 'GET', url: `/items/${id}` });

    expect(lines.map((line) => line.level)).toEqual([level]);
  });

  it('names an unknown path (unmatched) and adds the location of a created resource', async () => {
    await fastify.inject({ method: 'GET', url: '/nowhere/7' });
    await fastify.inject({ method: 'GET', url: '/items/new' });

    expect(lines[0]).toMatchObject({ route: '(unmatched)', path: '/nowhere/7', status: 404 });
    expect(lines[0]).not.toHaveProperty('location');
    expect(lines[1]).toMatchObject({ route: '/items/:id', status: 201, location: '/items/42' });
  });

  it('writes nothing below the logger level', async () => {
    const quiet = Fastify();
    const logger = pino({ level: 'warn' }, new Writable({ write: (_c, _e, done) => (lines.push({}), done()) }));
    installRequestLog(quiet, () => logger);
    quiet.get('/', async () => 'ok');

    await quiet.inject({ method: 'GET', url: '/' });
    await quiet.close();

    expect(lines).toEqual([]);
  });
});
