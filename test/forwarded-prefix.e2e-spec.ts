import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HeaderObject, OpenAPIObject, ResponseObject } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { DOCS_JSON_PATH, DOCS_PATH } from '../src/openapi/openapi';
import { ingestOk, nextLink, type InjectResponse, type Receipt } from './support/http';
import { GATEWAY_PREFIX, PrefixProxy } from './support/prefix-proxy';
import { useTestApp } from './support/test-app';

/** app.inject's requests come from 127.0.0.1 unless they say otherwise. */
const OTHER_PROXY = '10.0.0.1';
const FROM_GATEWAY = { 'x-forwarded-prefix': GATEWAY_PREFIX };
const FORWARDED = {
  'x-forwarded-for': '203.0.113.7',
  'x-forwarded-host': 'gateway.example',
  'x-forwarded-proto': 'https',
};
const ROOT_SERVER = { url: '/', description: 'The host that serves this document.' };
const GATEWAY_SERVER = { url: GATEWAY_PREFIX, description: expect.any(String) as string };

/** Prefixes that could take a link off the service, or whose meaning is unclear: each means no prefix. */
const INVALID_PREFIXES = [
  '/a/../b',
  '/a/./b',
  '/a/%2e%2E/b',
  '//evil.example',
  '/a//b',
  '/a?x',
  '/a#x',
  '/a\\b',
  'https://evil.example/x',
  'api/ingestion',
  '/a b',
  '/a%2',
  '/a%zz',
  '/a<b>',
  '',
  '/api,',
  '/api, ingestion',
];

interface RequestSeen {
  ip: string;
  host: string;
  protocol: string;
}

describe('X-Forwarded-Prefix and the other X-Forwarded-* headers, by TRUST_PROXY', () => {
  const seen = { trusted: [] as RequestSeen[], unset: [] as RequestSeen[], otherProxy: [] as RequestSeen[] };
  const trusted = useTestApp({
    env: { TRUST_PROXY: '127.0.0.1' },
    beforeConfigure: (app) => recordRequests(app, seen.trusted),
  });
  // Explicit even when empty: ConfigModule writes what an earlier app of this file validated into process.env.
  const unset = useTestApp({ env: { TRUST_PROXY: '' }, beforeConfigure: (app) => recordRequests(app, seen.unset) });
  const otherProxy = useTestApp({
    env: { TRUST_PROXY: OTHER_PROXY },
    beforeConfigure: (app) => recordRequests(app, seen.otherProxy),
  });

  it('POST /ingest answers a Location under the prefix of a trusted peer only', async () => {
    expect({
      trusted: await locationGiven(trusted.app, FROM_GATEWAY),
      trustedWithoutPrefix: await locationGiven(trusted.app, {}),
      unset: await locationGiven(unset.app, FROM_GATEWAY),
      untrustedPeer: await locationGiven(otherProxy.app, FROM_GATEWAY),
      otherProxy: await locationGiven(otherProxy.app, FROM_GATEWAY, OTHER_PROXY),
    }).toEqual({
      trusted: '/api/ingestion/ingest/<id>',
      trustedWithoutPrefix: '/ingest/<id>',
      unset: '/ingest/<id>',
      untrustedPeer: '/ingest/<id>',
      otherProxy: '/api/ingestion/ingest/<id>',
    });
  });

  it('the prefixed Location matches the pattern the OpenAPI document gives it', async () => {
    const response = await postRecord(trusted.app, FROM_GATEWAY);
    expect(response.headers.location).toMatch(await documentedLocationPattern(trusted.app));
    expect(response.headers.location).toMatch(new RegExp(`^${GATEWAY_PREFIX}/`));
  });

  it.each(['/ingest/all', '/ingest/partner/acme'])(
    'GET %s?limit=N links the next page under the prefix of a trusted peer only',
    async (path) => {
      await ingestOk(trusted.app, 'acme');
      await ingestOk(trusted.app, 'acme');
      await ingestOk(unset.app, 'acme');
      await ingestOk(unset.app, 'acme');
      await ingestOk(otherProxy.app, 'acme');
      await ingestOk(otherProxy.app, 'acme');
      const cursorless = (link: string | undefined) => link?.replace(/after=[0-9a-f-]{36}$/, 'after=<id>');
      const nextOf = async (app: NestFastifyApplication, remoteAddress?: string) =>
        cursorless(nextLink(await app.inject({ url: `${path}?limit=1`, headers: FROM_GATEWAY, remoteAddress })));

      expect({
        trusted: await nextOf(trusted.app),
        unset: await nextOf(unset.app),
        untrustedPeer: await nextOf(otherProxy.app),
        otherProxy: await nextOf(otherProxy.app, OTHER_PROXY),
      }).toEqual({
        trusted: `${GATEWAY_PREFIX}${path}?limit=1&after=<id>`,
        unset: `${path}?limit=1&after=<id>`,
        untrustedPeer: `${path}?limit=1&after=<id>`,
        otherProxy: `${GATEWAY_PREFIX}${path}?limit=1&after=<id>`,
      });
    },
  );

  it('the OpenAPI server (/docs/json, and the document Swagger UI embeds) is the prefix of a trusted peer only', async () => {
    expect({
      trusted: await servers(trusted.app, FROM_GATEWAY),
      // Per request: the cached document keeps its own.
      trustedWithoutPrefix: await servers(trusted.app, {}),
      unset: await servers(unset.app, FROM_GATEWAY),
      untrustedPeer: await servers(otherProxy.app, FROM_GATEWAY),
      otherProxy: await servers(otherProxy.app, FROM_GATEWAY, OTHER_PROXY),
    }).toEqual({
      trusted: { json: [GATEWAY_SERVER], ui: [GATEWAY_SERVER] },
      trustedWithoutPrefix: { json: [ROOT_SERVER], ui: [ROOT_SERVER] },
      unset: { json: [ROOT_SERVER], ui: [ROOT_SERVER] },
      untrustedPeer: { json: [ROOT_SERVER], ui: [ROOT_SERVER] },
      otherProxy: { json: [GATEWAY_SERVER], ui: [GATEWAY_SERVER] },
    });
  });

  it('ignores an invalid prefix (no prefix, no error) where a valid one is followed', async () => {
    const locations: Record<string, string> = {};
    for (const prefix of [GATEWAY_PREFIX, ...INVALID_PREFIXES]) {
      locations[prefix] = await locationGiven(trusted.app, { 'x-forwarded-prefix': prefix });
    }
    expect(locations).toEqual({
      [GATEWAY_PREFIX]: '/api/ingestion/ingest/<id>',
      ...Object.fromEntries(INVALID_PREFIXES.map((prefix) => [prefix, '/ingest/<id>'])),
    });
  });

  it.each([
    ['/api, /ingestion', '/api/ingestion/ingest/<id>'],
    ['/api/,/ingestion/', '/api/ingestion/ingest/<id>'],
    ['/api/ingestion/', '/api/ingestion/ingest/<id>'],
    ['/, /api', '/api/ingest/<id>'],
    ["/v1;p=1/caf%C3%A9/~x/@a:b!$&'()*+=", "/v1;p=1/caf%C3%A9/~x/@a:b!$&'()*+=/ingest/<id>"],
  ])('reads X-Forwarded-Prefix: %s as the prefix of %s', async (prefix, location) => {
    expect(await locationGiven(trusted.app, { 'x-forwarded-prefix': prefix })).toBe(location);
  });

  it('takes "/" alone as no prefix, where "/api" is one', async () => {
    expect({
      root: await locationGiven(trusted.app, { 'x-forwarded-prefix': '/' }),
      api: await locationGiven(trusted.app, { 'x-forwarded-prefix': '/api' }),
    }).toEqual({ root: '/ingest/<id>', api: '/api/ingest/<id>' });
  });

  it('concatenates repeated X-Forwarded-Prefix headers in order', async () => {
    const response = await postRecord(trusted.app, { 'x-forwarded-prefix': ['/api', '/ingestion'] });
    expect(response.headers.location).toBe(`/api/ingestion/ingest/${response.json<Receipt>().id}`);
  });

  it('request.ip, .host and .protocol follow X-Forwarded-For, -Host and -Proto of a trusted peer only', async () => {
    await trusted.app.inject({ url: '/health/live', headers: FORWARDED });
    await unset.app.inject({ url: '/health/live', headers: FORWARDED });
    await otherProxy.app.inject({ url: '/health/live', headers: FORWARDED });
    await otherProxy.app.inject({ url: '/health/live', headers: FORWARDED, remoteAddress: OTHER_PROXY });

    const forwarded = { ip: '203.0.113.7', host: 'gateway.example', protocol: 'https' };
    const own = { ip: '127.0.0.1', host: 'localhost:80', protocol: 'http' };
    expect(seen).toEqual({ trusted: [forwarded], unset: [own], otherProxy: [own, forwarded] });
  });

  describe(`through a gateway that mounts the service under ${GATEWAY_PREFIX} (trusted)`, () => {
    let gateway: PrefixProxy;
    let seeded: Receipt[];

    beforeAll(async () => {
      await trusted.app.listen({ port: 0, host: '127.0.0.1' });
      gateway = await PrefixProxy.start(new URL(await trusted.app.getUrl()));
      seeded = [];
      for (let n = 0; n < 7; n++) seeded.push(await ingestOk(trusted.app, n % 2 === 0 ? 'globex' : 'initech', { n }));
    });

    afterAll(async () => {
      await gateway?.close();
    });

    it.each([
      ['/ingest/all', undefined],
      ['/ingest/partner/globex', 'globex'],
      ['/ingest/partner/initech', 'initech'],
    ])('every Link next of %s, followed through the gateway, brings each record once', async (path, partner) => {
      const expected = seeded.filter((receipt) => partner === undefined || receipt.partner_id === partner);
      const received: string[] = [];
      let url: string | undefined = `${GATEWAY_PREFIX}${path}?limit=2`;
      while (url !== undefined) {
        const response: Response = await fetch(`${gateway.origin}${url}`);
        expect({ url, status: response.status }).toEqual({ url, status: 200 });
        received.push(...((await response.json()) as Receipt[]).map((record) => record.id));
        url = linkTarget(response.headers.get('link'));
      }

      // /ingest/all also holds the records of the tests above.
      const seededIds = expected.map((receipt) => receipt.id);
      expect(received.filter((id) => seededIds.includes(id))).toEqual(seededIds);
      expect(new Set(received).size).toBe(received.length);
    });

    it('POST through the gateway answers a Location that reads the record back through it', async () => {
      const created = await fetch(`${gateway.origin}${GATEWAY_PREFIX}/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ partner_id: 'acme', payload: { via: 'gateway' } }),
      });
      expect(created.status).toBe(201);
      const location = created.headers.get('location') ?? '';
      expect(location).toMatch(new RegExp(`^${GATEWAY_PREFIX}/ingest/[0-9a-f-]{36}$`));

      const record = await fetch(`${gateway.origin}${location}`);
      expect({ status: record.status, body: await record.json() }).toEqual({
        status: 200,
        body: expect.objectContaining({ partner_id: 'acme', payload: { via: 'gateway' } }),
      });
    });
  });
});

/** No route shows them: a hook records what Fastify makes of the request's address, host and scheme. */
function recordRequests(app: NestFastifyApplication, seen: RequestSeen[]): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (request.url === '/health/live') seen.push({ ip: request.ip, host: request.host, protocol: request.protocol });
    done();
  });
}

function postRecord(
  app: NestFastifyApplication,
  headers: Record<string, string | string[]>,
  remoteAddress?: string,
): Promise<InjectResponse> {
  return app.inject({
    method: 'POST',
    url: '/ingest',
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify({ partner_id: 'acme', payload: {} }),
    remoteAddress,
  });
}

/** The Location of a new record, its id written `<id>`. */
async function locationGiven(
  app: NestFastifyApplication,
  headers: Record<string, string>,
  remoteAddress?: string,
): Promise<string> {
  const response = await postRecord(app, headers, remoteAddress);
  expect(response.statusCode).toBe(201);
  return String(response.headers.location).replace(response.json<Receipt>().id, '<id>');
}

async function documentedLocationPattern(app: NestFastifyApplication): Promise<RegExp> {
  const document = (await app.inject({ url: DOCS_JSON_PATH })).json<OpenAPIObject>();
  const created = document.paths['/ingest'].post?.responses['201'] as ResponseObject;
  const location = created.headers?.Location as HeaderObject;
  return new RegExp((location.schema as { pattern: string }).pattern);
}

/** `servers` of the document at /docs/json and of the one in Swagger UI's swagger-ui-init.js. */
async function servers(app: NestFastifyApplication, headers: Record<string, string>, remoteAddress?: string) {
  const json = await app.inject({ url: DOCS_JSON_PATH, headers, remoteAddress });
  const ui = await app.inject({ url: `${DOCS_PATH}/swagger-ui-init.js`, headers, remoteAddress });
  expect([json.statusCode, ui.statusCode]).toEqual([200, 200]);
  return { json: json.json<OpenAPIObject>().servers, ui: embeddedDocument(ui).servers };
}

/** swagger-ui-init.js starts with `let options = <JSON>;`, the document in `swaggerDoc`. */
function embeddedDocument(response: InjectResponse): OpenAPIObject {
  const options = /let options = (\{[\s\S]*?\n\});/.exec(response.body);
  if (!options) throw new Error(`no options in swagger-ui-init.js: ${response.body.slice(0, 200)}`);
  return (JSON.parse(options[1]) as { swaggerDoc: OpenAPIObject }).swaggerDoc;
}

function linkTarget(header: string | null): string | undefined {
  if (header === null) return undefined;
  const match = /^<([^>]+)>;\s*rel="next"$/.exec(header);
  if (!match) throw new Error(`Link header is not a single rel="next" link: ${header}`);
  return match[1];
}
