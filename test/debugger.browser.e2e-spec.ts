import { CommandBus } from '@nestjs/cqrs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingMessage, Server } from 'node:http';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CreateApiKeyCommand } from '../src/access/application/commands/create-api-key.command';
import { RevokeApiKeyCommand } from '../src/access/application/commands/revoke-api-key.command';
import type { CreatedApiKeyView } from '../src/access/application/views/api-key.view';
import { DEBUGGER_CONTENT_SECURITY_POLICY } from '../src/ingestion/infrastructure/http/debugger/debugger.controller';
import { DEBUGGER_PATH } from '../src/ingestion/infrastructure/http/debugger/debugger.controller';
import { get, ingest, ingestOk, type Receipt, waitFor } from './support/http';
import { useTestApp } from './support/test-app';

/** Debian's Chromium (.ci/run installs it when it is missing). */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const UI_TIMEOUT_MS = 5_000;
const PAGE_OPTIONS = { locale: 'en-US', timezoneId: 'UTC', viewport: { width: 1280, height: 600 } };

/** `UPDATE_SCREENSHOTS=1` rewrites the README's screenshot; CI leaves the tree alone. */
const SCREENSHOT = process.env.UPDATE_SCREENSHOTS === '1' ? join(__dirname, '..', 'docs', 'debugger.png') : undefined;

const PAYLOADS = {
  created: { event: 'order.created', order_id: 'A-1001', amount: 42.5, currency: 'EUR' },
  signedUp: { event: 'user.signed_up', user: { id: 'u_8812', name: 'Zoë Šimková', tags: [], prefs: { lang: 'cs' } } },
  paid: { event: 'order.paid', order_id: 'A-1001', paid_at: '2026-12-01T10:00:00Z' },
  report: { event: 'report.filed', pages: [1, 2, 3], cover: null },
  shipped: { event: 'order.shipped', order_id: 'A-1001', items: [{ sku: 'X-1', qty: 2 }] },
};

interface ShownRow {
  timestamp: string;
  time: string;
  partner: string;
  id: string;
  size: string;
}

/** Browser code, kept as text: the tests compile without DOM types. */
const SHOWN_ROWS = `[...document.querySelectorAll('#rows tr')].map((row) => ({
  timestamp: row.querySelector('time').dateTime,
  time: row.cells[0].textContent,
  partner: row.cells[1].textContent,
  id: row.cells[2].textContent,
  size: row.cells[3].textContent,
}))`;

const RECORD_VIOLATIONS = `
  window.cspViolations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.cspViolations.push(event.effectiveDirective + ' blocked ' + (event.blockedURI || 'inline'));
  });
`;

/** How the page shows a record (in UTC, see PAGE_OPTIONS): its time, partner, id and the byte size of its payload as stored. */
function shown(receipt: Receipt, payload: Record<string, unknown>): ShownRow {
  return {
    timestamp: receipt.timestamp,
    time: receipt.timestamp.slice('2026-12-01T'.length, -1),
    partner: receipt.partner_id,
    id: receipt.id,
    size: `${Buffer.byteLength(JSON.stringify(payload))} B`,
  };
}

function shownRows(page: Page): Promise<ShownRow[]> {
  return page.evaluate<ShownRow[]>(SHOWN_ROWS);
}

async function untilShown(page: Page, receipt: Receipt): Promise<void> {
  await page.locator(`#rows tr[data-id="${receipt.id}"]`).waitFor();
}

async function untilState(page: Page, state: string): Promise<void> {
  await page.locator(`#status[data-state="${state}"]`).waitFor();
}

/** Clicks the record's row and resolves to what the side panel shows once the record is read: its payload, or why not. */
async function openRecord(page: Page, receipt: Receipt): Promise<string> {
  await page.locator(`#rows tr[data-id="${receipt.id}"]`).click();
  await page.locator('#detail-id', { hasText: receipt.id }).waitFor();
  await page.locator('#payload').filter({ hasNotText: 'Loading…' }).waitFor();
  const message = page.locator('#detail-message');
  return (await message.isVisible()) ? message.innerText() : page.locator('#payload').innerText();
}

interface Watched {
  /** Every URL the page requested, in order. */
  urls: string[];
  /** The stream URLs among them (the EventSource's and the page's checks of a refused one). */
  streams: () => URL[];
  /** Content-Security-Policy violations, page errors and dialogs (an injected `alert`). */
  problems: () => Promise<string[]>;
}

async function watch(page: Page): Promise<Watched> {
  const urls: string[] = [];
  const reported: string[] = [];
  page.setDefaultTimeout(UI_TIMEOUT_MS);
  page.on('request', (request) => urls.push(request.url()));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) reported.push(message.text());
  });
  page.on('pageerror', (error) => reported.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    reported.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.addInitScript(RECORD_VIOLATIONS);
  return {
    urls,
    streams: () => urls.map((url) => new URL(url)).filter((url) => url.pathname === '/ingest/stream'),
    problems: async () => [...(await page.evaluate<string[]>('window.cspViolations')), ...reported],
  };
}

/** The sockets of the streams the server has answered, so that a test can cut them as a network would. */
function recordStreamSockets(app: NestFastifyApplication): { cutAll: () => void } {
  const sockets = new Set<IncomingMessage['socket']>();
  (app.getHttpServer() as Server).on('request', (request: IncomingMessage) => {
    if (request.url?.startsWith('/ingest/stream?')) sockets.add(request.socket);
  });
  return {
    cutAll: () => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  };
}

describe('the live debugger at /debugger in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: UI_TIMEOUT_MS });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
  });

  describe('while access control is off', () => {
    const context = useTestApp();
    let baseUrl: string;

    beforeAll(async () => {
      await context.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = await context.app.getUrl();
    });

    it('shows records as they are committed, their payload on click, pauses without losing any, filters by partner', async () => {
      const page = await browser.newPage(PAGE_OPTIONS);
      try {
        const watched = await watch(page);
        const response = await page.goto(`${baseUrl}${DEBUGGER_PATH}`);
        expect(response?.headers()['content-security-policy']).toBe(DEBUGGER_CONTENT_SECURITY_POLICY);
        await untilState(page, 'connected');

        const sent: Array<[Receipt, Record<string, unknown>]> = [];
        for (const [partner, payload] of [
          ['acme', PAYLOADS.created],
          ['globex', PAYLOADS.signedUp],
          ['acme', PAYLOADS.paid],
          ['initech', PAYLOADS.report],
          ['acme', PAYLOADS.shipped],
        ] as const) {
          sent.push([await ingestOk(context.app, partner, payload), payload]);
        }
        await untilShown(page, sent[4][0]);
        expect(await shownRows(page)).toEqual(sent.map(([receipt, payload]) => shown(receipt, payload)).reverse());
        expect(await page.locator('#received').innerText()).toBe('5');

        const [signedUp, signedUpPayload] = sent[1];
        expect(await openRecord(page, signedUp)).toBe(JSON.stringify(signedUpPayload, null, 2));
        expect(watched.urls).toContain(`${baseUrl}/ingest/${signedUp.id}`);
        expect(await page.locator('#detail-size').innerText()).toBe(shown(signedUp, signedUpPayload).size);
        if (SCREENSHOT !== undefined) await page.screenshot({ path: SCREENSHOT, animations: 'disabled' });

        // Paused: what arrives is counted, held, and shown on resume.
        await page.locator('#pause').click();
        await untilState(page, 'paused');
        const hostile = { bio: '<img src=x onerror=alert(1)>', note: '</pre><script>alert(2)</script>' };
        const whilePaused = [
          await ingestOk(context.app, 'globex', { n: 6 }),
          await ingestOk(context.app, 'acme', hostile),
        ];
        await page.locator('#pause', { hasText: 'Resume (2 new)' }).waitFor();
        expect((await shownRows(page)).map((row) => row.id)).toEqual(sent.map(([receipt]) => receipt.id).reverse());
        await page.locator('#pause').click();
        await untilState(page, 'connected');
        await untilShown(page, whilePaused[1]);
        expect((await shownRows(page)).map((row) => row.id).slice(0, 3)).toEqual([
          whilePaused[1].id,
          whilePaused[0].id,
          sent[4][0].id,
        ]);
        expect(await openRecord(page, whilePaused[1])).toBe(JSON.stringify(hostile, null, 2));
        expect(await page.locator('img, #payload script').count()).toBe(0);

        // The filter is checked like a partner id, then reconnects the stream with partner_id.
        const streamsBefore = watched.streams().length;
        await page.locator('#partner').fill('not a partner!');
        await page.locator('#filter-form button').click();
        await page.locator('#partner-error').waitFor();
        expect(watched.streams()).toHaveLength(streamsBefore);
        await page.locator('#partner').fill('acme');
        await page.locator('#filter-form button').click();
        await untilState(page, 'connected');
        expect(watched.streams().at(-1)?.searchParams.get('partner_id')).toBe('acme');
        expect(new URL(page.url()).searchParams.get('partner_id')).toBe('acme');
        const globex = await ingestOk(context.app, 'globex', { n: 8 });
        const acme = await ingestOk(context.app, 'acme', { n: 9 });
        await untilShown(page, acme);
        const rows = await shownRows(page);
        expect(rows.map((row) => row.id)).not.toContain(globex.id);
        expect(new Set(rows.map((row) => row.partner))).toEqual(new Set(['acme']));
        expect(rows[0]).toEqual(shown(acme, { n: 9 }));

        await page.locator('#clear').click();
        expect(await shownRows(page)).toEqual([]);
        expect(await page.locator('#empty').isVisible()).toBe(true);
        expect(await watched.problems()).toEqual([]);
      } finally {
        await page.close();
      }
    }, 30_000);
  });

  describe('with API keys', () => {
    const context = useTestApp();
    let baseUrl: string;
    let key: CreatedApiKeyView;
    let streams: { cutAll: () => void };

    beforeAll(async () => {
      streams = recordStreamSockets(context.app);
      await context.app.listen({ port: 0, host: '127.0.0.1' });
      baseUrl = await context.app.getUrl();
      key = await context.app
        .get(CommandBus)
        .execute(new CreateApiKeyCommand({ admin: false, partnerId: 'acme' }, 'debugger'));
      // The app looked whether keys exist less than 500 ms before this one was created.
      await waitFor(async () => (await get(context.app, '/ingest/all')).statusCode === 401, 'keys to be required');
    });

    it('asks for a key, streams with short-lived tokens, resumes after a refused reconnection, never puts the key in a URL', async () => {
      const page = await browser.newPage(PAGE_OPTIONS);
      try {
        const watched = await watch(page);
        const authorizations: string[] = [];
        page.on('request', (request) => {
          if (/\/ingest\/[0-9a-f-]{36}$/.test(request.url()))
            authorizations.push(request.headers().authorization ?? '(none)');
        });
        await page.goto(`${baseUrl}${DEBUGGER_PATH}`);
        await page.locator('#key-panel').waitFor();
        await untilState(page, 'closed');

        await page.locator('#partner').fill('acme');
        await page.locator('#key').fill(key.key);
        await page.locator('#key-form button').click();
        await untilState(page, 'connected');
        expect(await page.locator('#key').inputValue()).toBe('');
        const bearer = { authorization: `Bearer ${key.key}` };
        const first = (await ingest(context.app, { partner_id: 'acme', payload: { n: 1 } }, bearer)).json<Receipt>();
        await untilShown(page, first);
        expect(await openRecord(page, first)).toBe(JSON.stringify({ n: 1 }, null, 2));
        expect(authorizations).toEqual([`Bearer ${key.key}`]);

        // The connection drops and the browser's own reconnection is refused (as when its token has expired): the
        // page takes a new token and resumes after the last record it showed.
        await page.route(
          (url) => url.pathname === '/ingest/stream',
          (route) => route.fulfill({ status: 401 }),
          {
            times: 1,
          },
        );
        streams.cutAll();
        await untilState(page, 'reconnecting');
        const second = (await ingest(context.app, { partner_id: 'acme', payload: { n: 2 } }, bearer)).json<Receipt>();
        await untilShown(page, second);
        await untilState(page, 'connected');
        expect((await shownRows(page)).map((row) => row.id)).toEqual([second.id, first.id]);
        const [opened, ...reopened] = watched.streams();
        expect(opened.searchParams.get('after')).toBeNull();
        expect(reopened.at(-1)?.searchParams.get('after')).toBe(first.id);
        expect(reopened.at(-1)?.searchParams.get('access_token')).not.toBe(opened.searchParams.get('access_token'));
        for (const url of watched.streams()) {
          expect(url.searchParams.get('partner_id')).toBe('acme');
          expect(url.searchParams.get('access_token')).toMatch(/^st_/);
        }

        // A revoked key ends the stream; the page says so and asks for another.
        await context.app.get(CommandBus).execute(new RevokeApiKeyCommand(key.id));
        await page.locator('#key-message', { hasText: 'refused' }).waitFor({ timeout: 10_000 });
        await untilState(page, 'closed');

        expect(watched.urls.filter((url) => url.includes(key.key))).toEqual([]);
        expect(
          await page.evaluate<string>('JSON.stringify([{ ...sessionStorage }, { ...localStorage }])'),
        ).not.toContain(key.key);
        expect(await watched.problems()).toEqual([]);
      } finally {
        await page.close();
      }
    }, 30_000);
  });
});
