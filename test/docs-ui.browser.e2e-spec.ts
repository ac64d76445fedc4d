import { type Browser, chromium, type Page } from 'playwright-core';
import { DOCS_PATH } from '../src/openapi/openapi';
import { ingestOk, type Receipt } from './support/http';
import { GATEWAY_PREFIX, PrefixProxy } from './support/prefix-proxy';
import { useTestApp } from './support/test-app';

/** Debian's Chromium (.ci/run installs it when it is missing). */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/**
 * The policy agreed for /docs. The page is checked under the policy the app sends; while the
 * app sends none, under this one, so that what the UI needs is known before the header ships.
 */
const AGREED_DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

const UI_TIMEOUT_MS = 10_000;

describe('Swagger UI at /docs in Chromium', () => {
  const context = useTestApp();
  let browser: Browser;
  let baseUrl: string;
  let seeded: Receipt[] = [];

  beforeAll(async () => {
    await context.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = await context.app.getUrl();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: UI_TIMEOUT_MS });
    seeded = [
      await ingestOk(context.app, 'acme', { n: 1 }),
      await ingestOk(context.app, 'globex', { n: 2 }),
      await ingestOk(context.app, 'acme', { n: 3 }),
    ];
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('"Try it out" → "Execute" on GET /ingest/all lists the records, and the page breaks no Content-Security-Policy', async () => {
    const page = await browser.newPage();
    try {
      const violations = await watchPolicyViolations(page, baseUrl);
      const tried = await tryItOut(page, `${baseUrl}${DOCS_PATH}`, 'operations-ingestion-listAll').catch(
        (error: Error) => error,
      );

      // First: a refused script, style or request explains a UI that did not work.
      expect(await violations()).toEqual([]);
      if (tried instanceof Error) throw tried;
      expect(tried).toEqual({
        requestUrl: expect.not.stringMatching(/since|until|after/),
        status: '200',
        body: expect.any(String),
      });
      expect((JSON.parse(tried.body) as Receipt[]).map((record) => record.id)).toEqual(
        seeded.map((receipt) => receipt.id),
      );
    } finally {
      await page.close();
    }
  }, 30_000);
});

describe(`Swagger UI behind a gateway that mounts the service under ${GATEWAY_PREFIX}, in Chromium`, () => {
  const context = useTestApp({ env: { TRUST_PROXY: '127.0.0.1' } });
  let browser: Browser;
  let gateway: PrefixProxy;

  beforeAll(async () => {
    await context.app.listen({ port: 0, host: '127.0.0.1' });
    gateway = await PrefixProxy.start(new URL(await context.app.getUrl()));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: UI_TIMEOUT_MS });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it('"Try it out" → "Execute" on GET /health/live calls it under the prefix', async () => {
    const page = await browser.newPage();
    try {
      const calls: string[] = [];
      page.on('request', (request) => {
        if (request.url().endsWith('/health/live')) calls.push(request.url());
      });
      const tried = await tryItOut(
        page,
        `${gateway.origin}${GATEWAY_PREFIX}${DOCS_PATH}`,
        'operations-operations-live',
      );

      const underPrefix = `${gateway.origin}${GATEWAY_PREFIX}/health/live`;
      expect({ calls, ...tried }).toEqual({
        calls: [underPrefix],
        requestUrl: underPrefix,
        status: '200',
        body: expect.stringMatching(/"status":\s*"ok"/),
      });
    } finally {
      await page.close();
    }
  }, 30_000);
});

/**
 * Opens the UI at `docsUrl`, then "Try it out" and "Execute" on the operation whose block has the id
 * `blockId` (`operations-<tag>-<operationId>`), as a person would; answers what the UI shows.
 */
async function tryItOut(
  page: Page,
  docsUrl: string,
  blockId: string,
): Promise<{ requestUrl: string; status: string; body: string }> {
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  await page.goto(docsUrl);
  const operation = page.locator(`#${blockId}`);
  await operation.locator('.opblock-summary-control').click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  await operation.getByRole('button', { name: 'Execute' }).click();

  const response = operation.locator('.live-responses-table tr.response');
  await response.waitFor();
  return {
    requestUrl: await operation.locator('.request-url pre').innerText(),
    status: (await response.locator('.response-col_status').innerText()).trim(),
    body: await response.locator('.response-col_description pre').first().innerText(),
  };
}

/**
 * Records every Content-Security-Policy violation of the page: the `securitypolicyviolation`
 * events and Chromium's console reports. Applies the agreed policy to the UI's HTML when the
 * app sends none.
 */
async function watchPolicyViolations(page: Page, baseUrl: string): Promise<() => Promise<string[]>> {
  const reported: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) reported.push(message.text());
  });
  page.on('pageerror', (error) => reported.push(`page error: ${error.message}`));
  await page.addInitScript(RECORD_VIOLATIONS);
  await page.route(`${baseUrl}${DOCS_PATH}`, async (route) => {
    const response = await route.fetch();
    const headers = response.headers();
    if (headers['content-security-policy'] === undefined) headers['content-security-policy'] = AGREED_DOCS_CSP;
    await route.fulfill({ response, headers });
  });
  return async () => [...(await page.evaluate<string[]>('window.cspViolations')), ...reported];
}

/** Runs in the page before its own scripts (browser code, kept as text: the tests compile without DOM types). */
const RECORD_VIOLATIONS = `
  window.cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.cspViolations.push(event.effectiveDirective + ' blocked ' + (event.blockedURI || 'inline') +
      ' (' + event.sourceFile + ':' + event.lineNumber + ')');
  });
`;
