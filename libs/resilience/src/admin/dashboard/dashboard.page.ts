import { createHash } from 'node:crypto';
import { DASHBOARD_SCRIPT } from './dashboard.script.js';
import { DASHBOARD_STYLE } from './dashboard.style.js';

/** What the page needs to know before it has a token. */
export interface DashboardPageOptions {
  /** The read routes answer without a token: the page loads at once and asks for the token only for actions. */
  readonly publicReads: boolean;
  /** Longest reason the API accepts (the reason field's `maxlength`). */
  readonly maxReasonLength: number;
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The page's Content-Security-Policy: only its own inline script and stylesheet (by hash) run, it may
 * only talk to its own origin, and it may not be framed. Static, since the page's script and style are.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${sha256(DASHBOARD_SCRIPT)}`,
  `style-src ${sha256(DASHBOARD_STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The dashboard: one HTML document with its stylesheet and script inline and nothing to fetch but the
 * admin API (relative to the page, so it works under any prefix or proxy path). It holds no data: what
 * it shows is read with the token the operator types in.
 */
export function renderDashboardPage(options: DashboardPageOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="engined-public-reads" content="${options.publicReads ? 'true' : 'false'}">
<title>Resilience dashboard</title>
<link rel="icon" href="data:,">
<style>${DASHBOARD_STYLE}</style>
</head>
<body>
<header>
  <h1>Resilience dashboard</h1>
  <span id="system" class="badge" hidden></span>
  <span id="conn" class="conn" data-conn="locked">loading…</span>
  <form id="login" autocomplete="off">
    <input id="token" type="password" name="token" placeholder="admin token" aria-label="admin token" autocomplete="off" spellcheck="false">
    <button type="submit" class="primary">Connect</button>
  </form>
  <button id="lock" type="button" hidden title="Forget the token on this page">Lock</button>
</header>
<main>
  <div id="notice" class="notice" role="status" hidden></div>
  <div id="content" hidden>
    <section aria-labelledby="breakers-title">
      <h2 id="breakers-title">Circuit breakers</h2>
      <div id="breakers"></div>
    </section>
    <section id="components-panel" aria-labelledby="components-title">
      <h2 id="components-title">Health components</h2>
      <div class="panel">
        <table>
          <thead><tr><th>component</th><th>status</th><th>last check</th><th>latency</th><th>heal</th><th>message</th><th>actions</th></tr></thead>
          <tbody id="component-rows"></tbody>
        </table>
      </div>
    </section>
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">Events</h2>
      <div class="panel"><ol id="timeline" aria-live="polite"></ol></div>
    </section>
  </div>
</main>
<dialog id="action-dialog">
  <form id="action-form" method="dialog">
    <h3 id="action-title"></h3>
    <p id="action-hint"></p>
    <input id="action-reason" type="text" name="reason" maxlength="${options.maxReasonLength}" autocomplete="off">
    <div id="action-error" class="error" role="alert"></div>
    <div class="buttons">
      <button id="action-cancel" type="button">Cancel</button>
      <button type="submit" class="primary">Confirm</button>
    </div>
  </form>
</dialog>
<div id="toast" role="status" hidden></div>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
}
