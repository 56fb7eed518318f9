import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { HealState } from '../../libs/resilience/src/health/health.snapshot.js';
import { type AdminApp, startAdminApp, TOKEN, until } from '../admin/support/admin-app.js';
import { type Browser, launchChromium, screenshotOnFailure, waitForText } from './support/chromium.js';

const START_MS = 120_000;
const WAIT_MS = 20_000;
const OPEN_MS = 30_000;

const succeed = async () => 'ok';
const fail = async () => {
  throw new Error('payment provider down');
};

// The dashboard on a plain Nest app with the library (no daemon): what the daemon cannot show on demand — an
// OPEN breaker's countdown, a component that gives up healing — with the server on a FakeClock and the page on
// Playwright's, moved together. Reads are public here: the page loads without a token.
describe('the dashboard in a real browser, on an app with publicReads, an OPEN breaker and a healing component', () => {
  let served: AdminApp;
  let browser: Browser;
  let page: Page;
  const state = { queue: true, heals: 0, healFixes: false };

  async function waitFor(selector: string, what: string): Promise<void> {
    try {
      await page.waitForSelector(selector, { timeout: WAIT_MS });
    } catch (error) {
      throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what} (${selector})`, { cause: error });
    }
  }

  /** Moves the server's clock and the page's by the same amount. */
  async function advance(ms: number): Promise<void> {
    served.clock.advance(ms);
    await page.clock.runFor(ms);
  }

  beforeAll(async () => {
    // The browser first: without Chromium the suite fails at once, saying how to install it.
    browser = await launchChromium();
    page = browser.page;
    served = await startAdminApp({
      admin: { publicReads: true },
      breakers: { payments: { window: { kind: 'count', size: 4 }, minimumCalls: 2, failureRateThreshold: 50, openDurationMs: OPEN_MS } },
      health: {
        defaults: { intervalMs: 600_000, failureThreshold: 1 },
        components: [
          {
            name: 'queue',
            type: 'queue',
            critical: false,
            check: () => state.queue,
            heal: () => {
              state.heals++;
              if (state.healFixes) state.queue = true;
            },
            healing: { backoff: { minMs: 1_000, maxMs: 1_000, factor: 1, jitter: 0 }, maxAttempts: 1, windowMs: 60_000 },
          },
        ],
      },
    });
    served.clock.advance(0);
    await page.clock.install({ time: served.clock.now() });
  }, START_MS);

  afterAll(async () => {
    await browser?.close();
    served?.logger.takeErrors();
    await served?.close();
  }, START_MS);

  it('loads without a token when reads are public, and asks for it only before an action', () =>
    screenshotOnFailure(page, 'dashboard-public-reads', async () => {
      await page.goto(`${served.url}/resilience/dashboard`);
      await waitFor('[data-breaker="payments"][data-state="CLOSED"]', 'the payments tile without a token');
      await waitFor('[data-component="queue"][data-status="HEALTHY"]', 'the queue row without a token');
      await waitFor('#conn[data-conn="live"]', 'the stream without a token');

      await page.click('[data-breaker="payments"] button[data-action="force-open"]');
      expect(await page.isVisible('#action-dialog')).toBe(false);
      expect(await page.textContent('#notice')).toBe('Actions need the admin token: enter it above.');

      await page.fill('#token', TOKEN);
      await page.click('#login button[type=submit]');
      await waitFor('#lock:not([hidden])', 'the Lock button once the token is given');
      expect(await page.isVisible('#login')).toBe(false);
      expect(browser.errors).toEqual([]);
    }), START_MS);

  it('shows an OPEN breaker’s countdown to half-open, counting down with the clock', () =>
    screenshotOnFailure(page, 'dashboard-countdown', async () => {
      const payments = served.breakers.get('payments')!;
      // One success, one failure: 50 % of the minimum 2 calls, at the threshold.
      await payments.execute(succeed);
      await payments.execute(fail).catch(() => undefined);
      await waitFor('[data-breaker="payments"][data-state="OPEN"]', 'the payments tile to turn OPEN');
      // The retry-after comes with the re-read that follows the event.
      await page.clock.runFor(200);
      await waitForText(page, '[data-breaker="payments"] .retry', /^half-opens in 30 s$/, 'the countdown at 30 s');
      await advance(10_000);
      await waitForText(page, '[data-breaker="payments"] .retry', /^half-opens in 20 s$/, 'the countdown at 20 s, 10 s later');
      expect(await page.textContent('[data-breaker="payments"] .stats b')).toBe('50 %');
      expect(browser.errors).toEqual([]);
    }), START_MS);

  it('runs a check and resets a given-up heal with the row’s buttons', () =>
    screenshotOnFailure(page, 'dashboard-components', async () => {
      state.queue = false;
      await page.click('[data-component="queue"] button[data-action="check"]');
      await waitFor('#action-dialog[open]', 'the check dialog');
      await page.click('#action-form button[type=submit]');
      await waitFor('[data-component="queue"][data-status="UNHEALTHY"]', 'the queue row to turn UNHEALTHY after Check now');
      await until(() => state.heals === 1, 'the first heal attempt');
      await advance(1_000);
      await until(() => served.health!.get('queue')!.heal!.state === HealState.GAVE_UP, 'GAVE_UP');
      await page.clock.runFor(200);
      await waitForText(page, '[data-component="queue"] td[data-label="heal"]', /^GAVE_UP · 1 attempt$/, 'the heal cell to show GAVE_UP');
      await waitFor('#timeline li[data-type="component.gave_up"]', 'the gave-up event in the timeline');

      // Fixed by hand: the heal that follows the reset finds it working.
      state.healFixes = true;
      await page.click('[data-component="queue"] button[data-action="heal-reset"]');
      await waitFor('#action-dialog[open]', 'the heal reset dialog');
      await page.fill('#action-reason', 'queue fixed by hand');
      await page.click('#action-form button[type=submit]');
      await waitFor('#timeline li[data-type="component.heal_reset"]', 'the heal reset in the timeline');
      await until(() => served.health!.get('queue')!.heal!.state !== HealState.GAVE_UP, 'the queue out of GAVE_UP');
      await page.clock.runFor(200);
      await waitForText(page, '[data-component="queue"] td[data-label="heal"]', /^(IDLE|HEALING) · \d+ attempts?$/, 'the heal cell out of GAVE_UP');
      expect(await page.textContent('#timeline li[data-type="operator.action"] .text')).toContain('heal-reset queue: GAVE_UP → ');
      expect(browser.errors).toEqual([]);
    }), START_MS);
});
