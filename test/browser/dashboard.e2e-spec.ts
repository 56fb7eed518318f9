import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import type { EnginedApp } from '../../apps/engined/src/app.factory.js';
import { ARTIFACTS_DIR, type Browser, launchChromium, type PageElement, type PageGlobals, screenshotOnFailure } from './support/chromium.js';
import { startEnginedApp } from '../app/support/engined-test-app.js';
import { RecordsClient } from '../app/support/records-client.js';

const ADMIN_TOKEN = 'dashboard-admin-token-0123456789';
/** `UPDATE_SCREENSHOTS=1 npm run test:system -- test/browser` rewrites the README's screenshot. */
const README_SCREENSHOT = join(dirname(fileURLToPath(import.meta.url)), '../../docs/images/dashboard.png');
/** A whole daemon plus a browser start in seconds, more on a loaded machine. */
const START_MS = 120_000;
/** Real-time bound of a wait on the page (named by what it waits for); generous for a loaded machine. */
const WAIT_MS = 20_000;

/** A request of the page to the admin API, other than the stream and the page itself. */
function isRead(url: string): boolean {
  return url.includes('/resilience') && !url.includes('/events/stream') && !url.endsWith('/dashboard');
}

/** The CSS selector of a breaker's tile (in a state). */
function tile(name: string, state?: string): string {
  return `[data-breaker="${name}"]${state ? `[data-state="${state}"]` : ''}`;
}

interface BreakerJson {
  name: string;
  state: string;
  reason: string | null;
  operator: { action: string; actor: string; reason: string } | null;
}

// The dashboard in Debian's Chromium (playwright-core drives it) against the whole sample daemon with
// ADMIN_TOKEN set: what an operator sees and does. Times on the page are Playwright's clock, so "the tile
// turned red with the page's clock stopped" proves the stream pushed it, with no timer involved.
describe('the dashboard in a real browser (headless Chromium) against the daemon', () => {
  let daemon: EnginedApp;
  let browser: Browser;
  let page: Page;
  let records: RecordsClient;
  let dashboardUrl: string;
  /** The page's API reads other than the stream, counted to know when none is in flight. */
  const reads = { sent: 0, done: 0 };

  async function api<T>(method: 'GET' | 'POST', path: string, body?: object): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const init: RequestInit = body === undefined ? { method, headers } : { method, headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const response = await fetch(`${daemon.httpUrl}/resilience${path}`, init);
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  const breaker = (name: string) => api<BreakerJson>('GET', `/breakers/${name}`);

  /** The tile's top border colour, as the browser computed it (the stylesheet applied, CSP and all). */
  function borderColour(name: string): Promise<string> {
    return page.$eval(tile(name), (element) => {
      const { getComputedStyle } = globalThis as unknown as PageGlobals;
      return getComputedStyle(element as unknown as PageElement).borderTopColor;
    });
  }

  async function waitFor(selector: string, what: string): Promise<void> {
    try {
      await page.waitForSelector(selector, { timeout: WAIT_MS });
    } catch (error) {
      throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what} (${selector})`, { cause: error });
    }
  }

  /** Clicks a breaker action on its tile, gives the reason in the dialog and confirms. */
  async function clickAction(name: string, action: string, reason: string): Promise<void> {
    await page.click(`${tile(name)} button[data-action="${action}"]`);
    await waitFor('#action-dialog[open]', `the ${action} dialog`);
    await page.fill('#action-reason', reason);
    await page.click('#action-form button[type=submit]');
  }

  async function sparkPoints(name = 'database'): Promise<number> {
    const points = await page.getAttribute(`${tile(name)} polyline`, 'points');
    return (points ?? '').split(' ').filter(Boolean).length;
  }

  /** Waits (real time, bounded) until every read the page sent besides the stream has been answered. */
  async function untilNoReadsInFlight(): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    // The counters move in the request listeners, between the awaits below.
    while (reads.sent !== reads.done) {
      if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms waiting for the page's reads to finish (${reads.sent - reads.done} in flight)`);
      await page.waitForTimeout(20);
    }
  }

  function expectNoConsoleErrors(): void {
    expect(browser.errors).toEqual([]);
  }

  beforeAll(async () => {
    // The browser first: without Chromium the suite fails at once, saying how to install it.
    browser = await launchChromium();
    page = browser.page;
    daemon = await startEnginedApp({ ADMIN_TOKEN });
    records = new RecordsClient(daemon.grpcTarget);
    dashboardUrl = `${daemon.httpUrl}/resilience/dashboard`;
    // Installed before the page loads: from here on the page's timers and Date run on Playwright's clock.
    await page.clock.install();
    page.on('request', (req) => {
      if (isRead(req.url())) reads.sent++;
    });
    page.on('requestfinished', (req) => {
      if (isRead(req.url())) reads.done++;
    });
    page.on('requestfailed', (req) => {
      if (isRead(req.url())) reads.done++;
    });
  }, START_MS);

  afterAll(async () => {
    await browser?.close();
    records?.close();
    await daemon?.close();
  }, START_MS);

  it('loads without a token and with no console errors, and shows every breaker and component once the token is given', () =>
    screenshotOnFailure(page, 'dashboard-load', async () => {
      const response = await page.goto(dashboardUrl);
      expect(response?.status()).toBe(200);
      await waitFor('#conn[data-conn="locked"]', 'the page to ask for the token');
      expect(await page.isVisible('#content')).toBe(false);

      await page.fill('#token', ADMIN_TOKEN);
      await page.click('#login button[type=submit]');
      await waitFor('#conn[data-conn="live"]', 'the event stream to connect');
      // The token is kept in memory only: not in the field, the URL or any storage.
      expect(await page.inputValue('#token')).toBe('');
      expect(page.url()).not.toContain(ADMIN_TOKEN);
      const stored = await page.evaluate(() => {
        const { localStorage, sessionStorage, document } = globalThis as unknown as PageGlobals;
        return { local: localStorage.length, session: sessionStorage.length, cookie: document.cookie };
      });
      expect(stored).toEqual({ local: 0, session: 0, cookie: '' });

      const { breakers } = await api<{ breakers: BreakerJson[] }>('GET', '/breakers');
      const { components } = await api<{ components: { name: string }[] }>('GET', '/components');
      expect(breakers.length).toBeGreaterThanOrEqual(2);
      expect(await page.$$eval('[data-breaker]', (tiles) => tiles.map((t) => t.getAttribute('data-breaker')))).toEqual(breakers.map((b) => b.name));
      for (const b of breakers) expect(await page.getAttribute(tile(b.name), 'data-state')).toBe(b.state);
      expect(await page.$$eval('[data-component]', (rows) => rows.map((r) => r.getAttribute('data-component')))).toEqual(components.map((c) => c.name));
      // The stylesheet applied (its hash is in the CSP): a CLOSED tile has the green top border.
      expect(await borderColour('downstream')).toBe('rgb(26, 127, 55)');
      expectNoConsoleErrors();
    }), START_MS);

  it('turns a tile red within 1 s of a force-open done through the API: pushed by the stream, with the page’s clock stopped', () =>
    screenshotOnFailure(page, 'dashboard-push', async () => {
      // No timer of the page fires from here: neither the poll nor any debounce can be what updates the
      // tile. (A jump a little ahead: the clock runs meanwhile. A poll due in the jump fires, and is waited for.)
      const stoppedAt = (await page.evaluate(() => Date.now())) + 500;
      await page.clock.pauseAt(stoppedAt);
      try {
        await untilNoReadsInFlight();
        const readsBefore = reads.sent;
        await api('POST', '/breakers/downstream/force-open', { reason: 'quote service maintenance' });
        await waitFor(tile('downstream', 'FORCED_OPEN'), 'the downstream tile to show FORCED_OPEN');
        expect(await page.evaluate(() => Date.now())).toBe(stoppedAt);
        // …and the page read nothing meanwhile: the new state came in on the stream.
        expect(reads.sent).toBe(readsBefore);
        expect(await borderColour('downstream')).toBe('rgb(139, 26, 34)');
        expect(await page.textContent(`${tile('downstream')} .badge`)).toBe('FORCED OPEN');
        await waitFor('#timeline li[data-type="operator.action"]', 'the operator action in the timeline');
        expect(await page.textContent('#timeline li[data-type="operator.action"] .text')).toContain('force-open downstream: CLOSED → FORCED_OPEN — “quote service maintenance”');
      } finally {
        await page.clock.resume();
      }

      await api('POST', '/breakers/downstream/reset', { reason: 'maintenance over' });
      await waitFor(tile('downstream', 'CLOSED'), 'the downstream tile back to CLOSED');
      expectNoConsoleErrors();
    }), START_MS);

  it('reconnects after the server drops its stream, with ?since= so an event sent meanwhile still arrives', () =>
    screenshotOnFailure(page, 'dashboard-reconnect', async () => {
      const streams: string[] = [];
      const onRequest = (request: { url(): string }): void => {
        if (request.url().includes('/events/stream')) streams.push(request.url());
      };
      page.on('request', onRequest);
      // The page's clock stopped: no poll can bring the change; only the reconnected stream's replay can.
      const stoppedAt = (await page.evaluate(() => Date.now())) + 500;
      await page.clock.pauseAt(stoppedAt);
      const errorsBefore = browser.errors.length;
      try {
        await untilNoReadsInFlight();
        // Every connection of the daemon's HTTP server dropped at once, the stream's included (the server keeps listening).
        (daemon.app.getHttpServer() as { closeAllConnections(): void }).closeAllConnections();
        await waitFor('#conn[data-conn="reconnecting"]', 'the page to notice the dropped stream');
        await api('POST', '/breakers/downstream/force-open', { reason: 'while the stream was down' });
        expect(await page.getAttribute(tile('downstream'), 'data-state')).toBe('CLOSED');
        // The page's first retry is due 1 s later, on its (stopped) clock.
        await page.clock.runFor(1_000);
        await waitFor('#conn[data-conn="live"]', 'the stream to reconnect');
        // The timeline is fed by the stream only (a poll of the breakers can turn a tile, never add an event): the
        // force-open sent while the page was disconnected came in with the replay.
        await waitFor('#timeline li[data-type="operator.action"]:has-text("while the stream was down")', 'the force-open sent while the stream was down, replayed');
        await waitFor(tile('downstream', 'FORCED_OPEN'), 'the downstream tile to show FORCED_OPEN');
        expect(streams.at(-1)).toMatch(/[?&]since=[1-9]\d*/);
        await untilNoReadsInFlight();
      } finally {
        page.off('request', onRequest);
        await page.clock.resume();
      }
      // Chromium reports the cut response body on the console; nothing else may appear.
      expect(browser.errors.slice(errorsBefore).filter((error) => !/ERR_(INCOMPLETE_CHUNKED_ENCODING|CONNECTION_RESET|EMPTY_RESPONSE)|network error/i.test(error))).toEqual([]);
      browser.errors.splice(errorsBefore);

      await api('POST', '/breakers/downstream/reset', { reason: 'reconnect drill over' });
      await waitFor(tile('downstream', 'CLOSED'), 'the downstream tile back to CLOSED');
      expectNoConsoleErrors();
    }), START_MS);

  it('force-opens and resets a breaker with the tile’s buttons, the reason recorded with the action', () =>
    screenshotOnFailure(page, 'dashboard-buttons', async () => {
      await clickAction('database', 'force-open', 'failover drill');
      await waitFor(tile('database', 'FORCED_OPEN'), 'the database tile to show FORCED_OPEN after the click');
      expect(await breaker('database')).toMatchObject({
        state: 'FORCED_OPEN',
        reason: 'failover drill',
        operator: { action: 'force-open', actor: 'operator', reason: 'failover drill' },
      });
      expect(await page.isVisible('#action-dialog')).toBe(false);

      await clickAction('database', 'reset', 'drill over');
      await waitFor(tile('database', 'CLOSED'), 'the database tile back to CLOSED after the click');
      expect(await breaker('database')).toMatchObject({ state: 'CLOSED', operator: { action: 'reset', reason: 'drill over' } });
      // The reset button is off while CLOSED.
      expect(await page.isDisabled(`${tile('database')} button[data-action="reset"]`)).toBe(true);
      expectNoConsoleErrors();
    }), START_MS);

  it('refuses an action without a reason in the page, sending nothing', () =>
    screenshotOnFailure(page, 'dashboard-no-reason', async () => {
      await page.click(`${tile('database')} button[data-action="disable"]`);
      await waitFor('#action-dialog[open]', 'the disable dialog');
      // The field is required: the browser's own validation keeps the form from being sent.
      await page.click('#action-form button[type=submit]');
      expect(await page.isVisible('#action-dialog')).toBe(true);
      await page.click('#action-cancel');
      expect((await breaker('database')).state).toBe('CLOSED');
      expectNoConsoleErrors();
    }), START_MS);

  it('is readable on a phone: one column of tiles, no horizontal scrolling', () =>
    screenshotOnFailure(page, 'dashboard-phone', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        const layout = await page.evaluate(() => {
          const { document, innerWidth, getComputedStyle } = globalThis as unknown as PageGlobals;
          return {
            scrollWidth: document.documentElement.scrollWidth,
            width: innerWidth,
            tileLefts: Array.from(document.querySelectorAll('[data-breaker]'), (t) => Math.round(t.getBoundingClientRect().left)),
            header: getComputedStyle(document.querySelector('thead')!).display,
          };
        });
        expect(layout.scrollWidth).toBeLessThanOrEqual(layout.width);
        expect(new Set(layout.tileLefts).size).toBe(1);
        // The components table becomes cards.
        expect(layout.header).toBe('none');
        mkdirSync(ARTIFACTS_DIR, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard-phone.png'), fullPage: true });
      } finally {
        await page.setViewportSize({ width: 1280, height: 860 });
      }
      expectNoConsoleErrors();
    }), START_MS);

  it('shows calls/s and a failure-rate sparkline from the polled counters, then takes the README screenshot', () =>
    screenshotOnFailure(page, 'dashboard-screenshot', async () => {
      const record = await records.ok<{ id: string }>('CreateRecord', { name: 'dashboard' });
      for (let i = 0; i < 20; i++) await records.ok('GetRecord', { id: record.id });
      for (let i = 0; i < 10; i++) await records.ok('EnrichRecord', { id: record.id });
      // Polls on Playwright's clock; each waits for the tile's sparkline to take its point.
      const before = await sparkPoints();
      for (let i = 1; i <= 12; i++) {
        if (i === 12) for (let j = 0; j < 10; j++) await records.ok('EnrichRecord', { id: record.id });
        await page.clock.runFor(3_000);
        await page.waitForFunction(
          (points) => {
            const { document } = globalThis as unknown as PageGlobals;
            const line = document.querySelector('[data-breaker="database"] polyline')?.getAttribute('points') ?? '';
            return line.split(' ').filter(Boolean).length >= points;
          },
          Math.min(before + i, 40),
          // Polled on Node's timers: the page's requestAnimationFrame runs on the installed clock.
          { timeout: WAIT_MS, polling: 50 },
        );
      }
      // Calls were made between the polls: the rate is a number above zero, and the window line counts them.
      expect(Number(await page.textContent(`${tile('downstream')} .stats div:nth-child(3) b`))).toBeGreaterThan(0);
      expect(await page.textContent(`${tile('downstream')} .window`)).toMatch(/^window \d+\/\d+ \(consecutive\) · \d+ calls · 0 in flight$/);
      await api('POST', '/breakers/downstream/force-open', { reason: 'quote service maintenance' });
      await api('POST', '/breakers/database/metrics-only', { reason: 'shadow mode for the new pool size' });
      await waitFor(tile('database', 'METRICS_ONLY'), 'the database tile to show METRICS_ONLY');
      await waitFor(tile('downstream', 'FORCED_OPEN'), 'the downstream tile to show FORCED_OPEN');
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      const shot = join(ARTIFACTS_DIR, 'dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      if (process.env.UPDATE_SCREENSHOTS === '1') {
        mkdirSync(dirname(README_SCREENSHOT), { recursive: true });
        copyFileSync(shot, README_SCREENSHOT);
      }
      await api('POST', '/breakers/downstream/reset', { reason: 'done' });
      await api('POST', '/breakers/database/reset', { reason: 'done' });
      expectNoConsoleErrors();
    }), START_MS);
});
