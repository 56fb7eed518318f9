// The dashboard's stylesheet, inlined into the page (its SHA-256 is in the page's CSP). No url(), no
// @import: the page loads nothing but its own API. Narrow screens (phones) get one column and cards for
// the components table.
export const DASHBOARD_STYLE = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f4f5f7; --panel: #ffffff; --text: #1b1f24; --muted: #5d6672; --line: #d9dde3;
  --ok: #1a7f37; --warn: #b35900; --bad: #cf222e; --forced: #8b1a22; --off: #6e7781; --shadow: #0969da;
  --ok-bg: #dafbe1; --warn-bg: #fff1e0; --bad-bg: #ffebe9; --off-bg: #eaeef2; --shadow-bg: #ddf4ff;
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --panel: #161b22; --text: #e6edf3; --muted: #9198a1; --line: #30363d;
    --ok: #3fb950; --warn: #d29922; --bad: #f85149; --forced: #ff7b72; --off: #8b949e; --shadow: #58a6ff;
    --ok-bg: #12261a; --warn-bg: #2b2111; --bad-bg: #2d1214; --off-bg: #21262d; --shadow-bg: #0c2d48;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; padding: .75rem 1rem; background: var(--panel); border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 2; }
header h1 { font-size: 1.1rem; margin: 0; flex: 1 1 auto; }
main { padding: 1rem; max-width: 90rem; margin: 0 auto; display: grid; gap: 1.25rem; }
#content { display: grid; gap: 1.25rem; min-width: 0; }
h2 { font-size: 1rem; margin: 0 0 .5rem; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
button, input { font: inherit; }
button { border: 1px solid var(--line); background: var(--panel); color: var(--text); border-radius: 6px; padding: .3rem .6rem; cursor: pointer; min-height: 2rem; }
button:hover:not(:disabled) { border-color: var(--muted); }
button:disabled { opacity: .45; cursor: default; }
button.primary { background: var(--shadow); border-color: var(--shadow); color: #fff; }
button.danger { color: var(--bad); }
input[type=password], input[type=text] { border: 1px solid var(--line); background: var(--bg); color: var(--text); border-radius: 6px; padding: .35rem .5rem; min-width: 0; }
.conn { font-size: .85rem; color: var(--muted); white-space: nowrap; }
.conn::before { content: ""; display: inline-block; width: .6rem; height: .6rem; border-radius: 50%; margin-right: .35rem; background: var(--off); vertical-align: baseline; }
.conn[data-conn=live]::before { background: var(--ok); }
.conn[data-conn=connecting]::before, .conn[data-conn=reconnecting]::before { background: var(--warn); }
.conn[data-conn=error]::before { background: var(--bad); }
#login { display: flex; gap: .5rem; flex-wrap: wrap; align-items: center; }
#login input { width: 16rem; max-width: 60vw; }
.notice { padding: .6rem .8rem; border-radius: 6px; background: var(--warn-bg); color: var(--text); border: 1px solid var(--warn); }
.notice.error { background: var(--bad-bg); border-color: var(--bad); }
[hidden] { display: none !important; }
.badge { display: inline-block; font-size: .75rem; font-weight: 600; letter-spacing: .03em; padding: .1rem .45rem; border-radius: 999px; border: 1px solid currentColor; white-space: nowrap; }
.s-CLOSED, .s-HEALTHY { color: var(--ok); }
.s-HALF_OPEN, .s-DEGRADED { color: var(--warn); }
.s-OPEN, .s-UNHEALTHY { color: var(--bad); }
.s-FORCED_OPEN { color: var(--forced); }
.s-DISABLED, .s-UNKNOWN { color: var(--off); }
.s-METRICS_ONLY { color: var(--shadow); }
#breakers { display: grid; grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr)); gap: .75rem; }
.tile { background: var(--panel); border: 1px solid var(--line); border-top: 6px solid var(--ok); border-radius: 8px; padding: .75rem; display: grid; gap: .45rem; min-width: 0; }
.tile[data-state=HALF_OPEN] { border-top-color: var(--warn); background: var(--warn-bg); }
.tile[data-state=OPEN] { border-top-color: var(--bad); background: var(--bad-bg); }
.tile[data-state=FORCED_OPEN] { border-top-color: var(--forced); background: var(--bad-bg); }
.tile[data-state=DISABLED] { border-top-color: var(--off); background: var(--off-bg); }
.tile[data-state=METRICS_ONLY] { border-top-color: var(--shadow); background: var(--shadow-bg); }
.tile-head { display: flex; justify-content: space-between; align-items: center; gap: .5rem; }
.tile-name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.stats { display: grid; grid-template-columns: repeat(3, 1fr); gap: .25rem; font-size: .8rem; color: var(--muted); }
.stats span { display: block; }
.stats b { display: block; font-size: 1rem; color: var(--text); font-variant-numeric: tabular-nums; }
.spark { width: 100%; height: 2.75rem; display: block; background: var(--bg); border-radius: 4px; }
.spark polyline { fill: none; stroke: var(--bad); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
.spark line { stroke: var(--warn); stroke-width: 1; stroke-dasharray: 3 3; opacity: .7; vector-effect: non-scaling-stroke; }
.window { font-size: .75rem; color: var(--muted); font-variant-numeric: tabular-nums; }
.reason, .retry { font-size: .8rem; color: var(--muted); overflow-wrap: anywhere; min-height: 1.1em; }
.retry { color: var(--bad); font-weight: 600; }
.actions { display: flex; flex-wrap: wrap; gap: .35rem; }
.actions button { font-size: .8rem; padding: .2rem .5rem; min-height: 1.8rem; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
table { width: 100%; border-collapse: collapse; font-size: .875rem; }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { color: var(--muted); font-weight: 600; font-size: .8rem; }
tbody tr:last-child td { border-bottom: 0; }
td.msg { color: var(--muted); overflow-wrap: anywhere; max-width: 22rem; }
#timeline { list-style: none; margin: 0; padding: 0; font-size: .85rem; max-height: 28rem; overflow-y: auto; }
#timeline li { display: grid; grid-template-columns: 4.5rem 6.5rem 1fr; gap: .5rem; padding: .35rem .6rem; border-bottom: 1px solid var(--line); }
#timeline time { color: var(--muted); font-variant-numeric: tabular-nums; }
#timeline .kind { font-weight: 600; overflow-wrap: anywhere; }
#timeline .text { overflow-wrap: anywhere; }
#timeline li.k-operator .kind { color: var(--shadow); }
#timeline li.k-bad .kind { color: var(--bad); }
#timeline li.k-ok .kind { color: var(--ok); }
.empty { color: var(--muted); padding: .6rem; }
dialog { border: 1px solid var(--line); border-radius: 8px; background: var(--panel); color: var(--text); width: min(28rem, calc(100vw - 2rem)); padding: 1rem; }
dialog::backdrop { background: rgba(0, 0, 0, .4); }
dialog form { display: grid; gap: .6rem; }
dialog h3 { margin: 0; font-size: 1rem; }
dialog input { width: 100%; }
dialog .buttons { display: flex; justify-content: flex-end; gap: .5rem; }
dialog .error { color: var(--bad); font-size: .85rem; }
#toast { position: fixed; bottom: 1rem; left: 50%; transform: translateX(-50%); background: var(--text); color: var(--bg); padding: .5rem .9rem; border-radius: 6px; font-size: .875rem; max-width: calc(100vw - 2rem); }
@media (max-width: 40rem) {
  main, #content { padding: .6rem; gap: 1rem; }
  #content { padding: 0; }
  header { padding: .6rem; }
  #login input { width: 100%; max-width: none; flex: 1 1 12rem; }
  #breakers { grid-template-columns: 1fr; }
  table, thead, tbody, tr, td { display: block; }
  thead { display: none; }
  tbody tr { border-bottom: 1px solid var(--line); padding: .4rem 0; }
  td { border: 0; padding: .15rem .6rem; }
  td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: .8rem; }
  td.msg { max-width: none; }
  td:empty { display: none; }
  #timeline li { grid-template-columns: 4.5rem 1fr; }
  #timeline .text { grid-column: 1 / -1; }
}
`;
