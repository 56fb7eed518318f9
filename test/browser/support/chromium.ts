import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Flags of every launch: no sandbox (root in CI), nothing that reaches the network on its own. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Where failure screenshots (and the others a suite takes) go: `ARTIFACTS_DIR`, else a folder in the temp dir. */
export const ARTIFACTS_DIR = process.env.ARTIFACTS_DIR ?? join(tmpdir(), 'engined-artifacts');

/**
 * Debian's `chromium`: `CHROMIUM_PATH` when set, else /usr/bin/chromium, else `chromium` on PATH.
 * @throws Error saying how to install it when there is none.
 */
export function locateChromium(): string {
  const candidates = process.env.CHROMIUM_PATH
    ? [process.env.CHROMIUM_PATH]
    : ['/usr/bin/chromium', ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'chromium'))];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next candidate
    }
  }
  throw new Error(
    `Chromium not found (looked for ${candidates.slice(0, 3).join(', ')}${candidates.length > 3 ? ', …' : ''}). ` +
      'The dashboard browser test drives Debian\'s chromium: install it with `apt-get install -y chromium` ' +
      '(.ci/run does when it is missing), or point CHROMIUM_PATH at a Chromium binary.',
  );
}

/** An element, as the page callbacks below use it. */
export interface PageElement {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { left: number };
}

/**
 * The few browser globals the page callbacks use: the project compiles without the DOM lib (it is a Node
 * project), so a callback reads them as `(globalThis as unknown as PageGlobals)`, a cast that compiles away.
 */
export interface PageGlobals {
  readonly document: {
    readonly cookie: string;
    readonly documentElement: { readonly scrollWidth: number };
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): Iterable<PageElement> & ArrayLike<PageElement>;
  };
  readonly innerWidth: number;
  readonly localStorage: { readonly length: number };
  readonly sessionStorage: { readonly length: number };
  getComputedStyle(element: PageElement): { readonly borderTopColor: string; readonly display: string };
}

/** A headless Chromium with a fresh profile, and what its pages wrote to their consoles. */
export interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and uncaught exceptions of the page, in order. */
  readonly errors: string[];
  close(): Promise<void>;
}

export async function launchChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const executablePath = locateChromium();
  const profile = mkdtempSync(join(tmpdir(), 'engined-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: options.viewport ?? { width: 1280, height: 860 },
      colorScheme: 'light',
      timeout: 60_000,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Waits (real time, bounded; polled on Node's timers, since the page's requestAnimationFrame may run on an
 * installed clock) until the text of `selector` matches `pattern`.
 */
export async function waitForText(page: Page, selector: string, pattern: RegExp, what: string, timeoutMs = 20_000): Promise<void> {
  try {
    await page.waitForFunction(
      ([sel, source, flags]) => {
        const { document } = globalThis as unknown as PageGlobals;
        return new RegExp(source, flags).test(document.querySelector(sel)?.textContent ?? '');
      },
      [selector, pattern.source, pattern.flags] as const,
      { timeout: timeoutMs, polling: 50 },
    );
  } catch (error) {
    const text = await page.textContent(selector, { timeout: 1_000 }).catch(() => null);
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${selector} to match ${pattern} (it reads ${JSON.stringify(text)})`, { cause: error });
  }
}

/** Runs `body`; if it fails, saves a screenshot of `page` and names its path in the error. */
export async function screenshotOnFailure(page: Page, name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const path = join(ARTIFACTS_DIR, `${name.replace(/[^\w.-]+/g, '-')}-${Date.now()}.png`);
    let saved = `screenshot: ${path}`;
    try {
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      await page.screenshot({ path, fullPage: true, timeout: 15_000 });
    } catch (screenshotError) {
      saved = `no screenshot (${(screenshotError as Error).message})`;
    }
    console.error(`${name} failed; ${saved}`);
    if (error instanceof Error) error.message = `${error.message}\n[${saved}]`;
    throw error;
  }
}
