/**
 * @module
 * The dashboard: one self-contained page (inline CSS and JS, no CDN, no
 * requests beyond its own API). It finds the API next to itself
 * (`location.pathname`), asks for the bearer token when the API answers 401
 * and keeps it in `sessionStorage`, and reads `/stream` with `fetch` (so the
 * token travels in the Authorization header, never in a URL), resuming with
 * `Last-Event-ID` after a disconnect.
 *
 * Every value from the API reaches the page as text in an element of its
 * own, or as an attribute that cannot load or run anything; nothing is
 * parsed as HTML (see dashboard-client.js). The stylesheet isolates those
 * elements for bidi and lets long values wrap rather than widen the page.
 * The handler serves it with a CSP nonce: `__NONCE__` below is replaced per
 * response.
 */
import { readFileSync } from 'node:fs';

const template = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>eventide</title>
<link rel="icon" href="data:,">
<style nonce="__NONCE__">
:root {
  --bg: #f6f7f9; --panel: #fff; --text: #16181d; --muted: #6b7280; --faint: #9aa1ad; --line: #e6e8ec; --hover: #f3f5f8; --sel: #eef4ff;
  --accent: #3b5bdb; --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  --succeeded: #15803d; --succeeded-bg: #dcfce7; --failed: #dc2626; --failed-bg: #fee2e2; --running: #2563eb; --running-bg: #dbeafe;
  --retrying: #b45309; --retrying-bg: #fef3c7; --sleeping: #7c3aed; --sleeping-bg: #ede9fe; --waiting: #0e7490; --waiting-bg: #cffafe; --skipped: #6b7280; --skipped-bg: #f3f4f6; --cancelled: #6b7280; --cancelled-bg: #eef0f3;
  --pending: #475569; --pending-bg: #e2e8f0;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1115; --panel: #171a21; --text: #e7e9ee; --muted: #9aa1ad; --faint: #6b7280; --line: #262a33; --hover: #1d2129; --sel: #1c2540; --accent: #7c9cff;
    --succeeded: #4ade80; --succeeded-bg: #12301f; --failed: #f87171; --failed-bg: #3a1616; --running: #60a5fa; --running-bg: #15284a;
    --retrying: #fbbf24; --retrying-bg: #3a2a0c; --sleeping: #a78bfa; --sleeping-bg: #2a1f4a; --waiting: #22d3ee; --waiting-bg: #0c2a33; --skipped: #9ca3af; --skipped-bg: #1f2329; --cancelled: #9ca3af; --cancelled-bg: #23262d; --pending: #94a3b8; --pending-bg: #1e2530;
  }
}
* { box-sizing: border-box; }
/* An element's own display (flex, grid) would otherwise show it while hidden. */
[hidden] { display: none !important; }
html, body { margin: 0; background: var(--bg); color: var(--text); }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; -webkit-font-smoothing: antialiased; overflow-wrap: anywhere; }
/* Each value from the API is in a span of its own (see the script): isolated, a bidi override in it cannot reorder its neighbours. */
span, strong { unicode-bidi: isolate; }
button, select, input { font: inherit; color: inherit; }
h2 { font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0; }
.mono { font-family: var(--mono); font-size: 12.5px; }
.muted { color: var(--muted); }
.faint { color: var(--faint); }
.top { position: sticky; top: 0; z-index: 5; display: flex; align-items: center; gap: 16px; padding: 10px 20px; background: var(--panel); border-bottom: 1px solid var(--line); }
.brand { font-weight: 650; font-size: 16px; letter-spacing: -.01em; display: flex; align-items: center; gap: 8px; }
.logo { width: 22px; height: 22px; border-radius: 6px; background: linear-gradient(135deg, #3b5bdb, #15aabf); display: inline-block; }
.spacer { flex: 1; }
.live { display: flex; align-items: center; gap: 6px; font-size: 12.5px; color: var(--muted); }
.live .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--faint); }
.live.on .dot { background: var(--succeeded); box-shadow: 0 0 0 3px var(--succeeded-bg); }
.btn { border: 1px solid var(--line); background: var(--panel); border-radius: 7px; padding: 5px 11px; cursor: pointer; white-space: nowrap; }
.btn:hover { background: var(--hover); }
.btn:disabled { opacity: .5; cursor: default; }
.btn.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.btn.danger { color: var(--failed); border-color: color-mix(in srgb, var(--failed) 35%, var(--line)); }
.btn.danger.armed { background: var(--failed); color: #fff; }
.btn.small { padding: 2px 8px; font-size: 12px; border-radius: 6px; }
.btn.ghost { border-color: transparent; background: transparent; color: var(--muted); }
.layout { display: grid; grid-template-columns: 260px minmax(0, 1fr); gap: 16px; padding: 16px 20px; align-items: start; }
.layout.with-detail { grid-template-columns: 240px minmax(0, 1fr) 420px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; }
.side { display: flex; flex-direction: column; gap: 16px; min-width: 0; }
.side .card { padding: 12px 0 6px; }
.side h2 { padding: 0 14px 8px; }
.list { list-style: none; margin: 0; padding: 0; }
.fn { padding: 8px 14px; border-top: 1px solid var(--line); cursor: pointer; }
.fn:hover { background: var(--hover); }
.fn.active { background: var(--sel); box-shadow: inset 3px 0 0 var(--accent); }
.fn-name { font-weight: 600; word-break: break-all; }
.fn-meta { font-size: 12px; color: var(--muted); display: flex; gap: 6px; flex-wrap: wrap; align-items: center; margin-top: 2px; }
.counts { display: flex; gap: 5px; flex-wrap: wrap; margin-top: 5px; align-items: center; }
.count { font-size: 11.5px; border-radius: 999px; padding: 0 7px; line-height: 18px; font-variant-numeric: tabular-nums; }
.ev { padding: 7px 14px; border-top: 1px solid var(--line); cursor: pointer; min-width: 0; }
.ev:hover { background: var(--hover); }
.ev-top { display: flex; justify-content: space-between; gap: 8px; }
.ev-name { font-weight: 550; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.ev-data { font-family: var(--mono); font-size: 11.5px; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.empty { padding: 10px 14px; color: var(--faint); font-size: 13px; }
.main { min-width: 0; }
.toolbar { display: flex; align-items: center; gap: 8px; padding: 12px 14px; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
.toolbar h2 { margin-right: 6px; }
select { border: 1px solid var(--line); background: var(--panel); border-radius: 7px; padding: 4px 8px; max-width: 100%; }
.chip { display: inline-flex; align-items: center; gap: 4px; background: var(--sel); border-radius: 999px; padding: 1px 4px 1px 9px; font-size: 12px; }
.chip button { border: 0; background: none; cursor: pointer; color: var(--muted); padding: 0 4px; }
.pill { display: inline-flex; align-items: center; gap: 5px; border-radius: 999px; padding: 1px 8px 1px 7px; font-size: 12px; font-weight: 550; line-height: 18px; white-space: nowrap; }
.pill::before { content: ""; width: 6px; height: 6px; border-radius: 50%; background: currentColor; }
.pill.running::before, .pill.retrying::before { animation: pulse 1.2s ease-in-out infinite; }
@keyframes pulse { 50% { opacity: .25; } }
.s-succeeded { color: var(--succeeded); background: var(--succeeded-bg); }
.s-failed { color: var(--failed); background: var(--failed-bg); }
.s-running { color: var(--running); background: var(--running-bg); }
.s-retrying { color: var(--retrying); background: var(--retrying-bg); }
.s-sleeping { color: var(--sleeping); background: var(--sleeping-bg); }
.s-waiting { color: var(--waiting); background: var(--waiting-bg); }
.s-skipped { color: var(--skipped); background: var(--skipped-bg); }
.s-cancelled { color: var(--cancelled); background: var(--cancelled-bg); }
.s-pending { color: var(--pending); background: var(--pending-bg); }
table.runs { width: 100%; border-collapse: collapse; table-layout: fixed; }
.runs col.w-status { width: 118px; } .runs col.w-attempt { width: 74px; } .runs col.w-when { width: 92px; } .runs col.w-dur { width: 86px; }
.runs th { text-align: left; font-size: 12px; font-weight: 550; color: var(--muted); padding: 8px 14px; border-bottom: 1px solid var(--line); white-space: nowrap; }
.runs td { padding: 8px 14px; border-bottom: 1px solid var(--line); vertical-align: middle; }
.runs tbody tr { cursor: pointer; }
.runs tbody tr:hover { background: var(--hover); }
.runs tbody tr.selected { background: var(--sel); }
.runs tr.flash { animation: flash 1.2s ease-out; }
@keyframes flash { from { background: color-mix(in srgb, var(--accent) 18%, transparent); } }
.c-fnc { min-width: 0; }
.c-fn { font-weight: 550; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.c-sub { font-size: 12px; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.c-sub .c-id { font-family: var(--mono); font-size: 11.5px; color: var(--faint); }
.tag { font-size: 10.5px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; color: var(--accent); margin-left: 4px; }
.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.c-when { white-space: nowrap; color: var(--muted); }
.foot { padding: 10px 14px; display: flex; justify-content: center; }
.detail { position: sticky; top: 60px; max-height: calc(100vh - 76px); overflow: auto; min-width: 0; }
.d-head { display: flex; align-items: flex-start; gap: 10px; padding: 14px; border-bottom: 1px solid var(--line); }
.d-title { flex: 1; min-width: 0; }
.d-fn { font-size: 16px; font-weight: 650; word-break: break-all; margin: 4px 0 2px; }
.d-id { font-family: var(--mono); font-size: 12px; color: var(--muted); word-break: break-all; }
.d-sec { padding: 12px 14px; border-bottom: 1px solid var(--line); }
.d-sec:last-child { border-bottom: 0; }
.d-sec h2 { margin-bottom: 8px; }
.facts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px 14px; }
.fact .k { font-size: 11.5px; color: var(--muted); }
.fact .v { font-variant-numeric: tabular-nums; word-break: break-all; }
.link { color: var(--accent); cursor: pointer; background: none; border: 0; padding: 0; font-family: var(--mono); font-size: 12px; text-align: left; word-break: break-all; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 12px; }
.errbox { background: var(--failed-bg); color: var(--failed); border-radius: 8px; padding: 8px 10px; font-size: 13px; word-break: break-word; }
.errbox details { margin-top: 4px; }
.errbox summary { cursor: pointer; font-size: 12px; }
pre { margin: 0; font-family: var(--mono); font-size: 12px; background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; overflow: auto; max-height: 260px; white-space: pre-wrap; word-break: break-word; }
.errbox pre { background: transparent; border: 0; padding: 4px 0 0; color: inherit; font-size: 11px; }
.tl-axis { display: flex; justify-content: space-between; font-size: 11px; color: var(--faint); margin: 0 0 4px 0; padding-left: 34%; }
.step { display: grid; grid-template-columns: 34% 1fr; gap: 8px; align-items: center; padding: 5px 0; border-top: 1px dashed var(--line); }
.step:first-of-type { border-top: 0; }
.step-name { min-width: 0; }
.step-name .n { font-family: var(--mono); font-size: 12.5px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; display: block; }
.step-name .m { font-size: 11.5px; color: var(--muted); }
.track { position: relative; height: 18px; background: var(--bg); border-radius: 4px; }
.bar { position: absolute; top: 3px; height: 12px; border-radius: 3px; min-width: 3px; }
.bar.succeeded { background: var(--succeeded); }
.bar.failed { background: var(--failed); }
.bar.retrying { background: var(--retrying); }
.bar.sleeping { background: repeating-linear-gradient(45deg, var(--sleeping), var(--sleeping) 4px, color-mix(in srgb, var(--sleeping) 55%, transparent) 4px, color-mix(in srgb, var(--sleeping) 55%, transparent) 8px); }
.bar.cancelled { background: var(--cancelled); }
.bar.open { opacity: .7; }
.step-link { grid-column: 1 / -1; font-size: 12px; color: var(--muted); }
.step-err { grid-column: 1 / -1; font-size: 12px; color: var(--failed); word-break: break-word; }
.logs { font-family: var(--mono); font-size: 12px; display: flex; flex-direction: column; gap: 3px; }
.log { display: grid; grid-template-columns: 62px 44px 1fr; gap: 8px; align-items: baseline; }
.log .t { color: var(--faint); text-align: right; font-variant-numeric: tabular-nums; }
.log .l { font-size: 10.5px; text-transform: uppercase; font-weight: 650; }
.log .l.info { color: var(--running); } .log .l.warn { color: var(--retrying); } .log .l.error { color: var(--failed); } .log .l.debug { color: var(--faint); }
.log .f { color: var(--muted); word-break: break-word; }
.log .msg { word-break: break-word; }
.dl { padding: 7px 14px; border-top: 1px solid var(--line); font-size: 12.5px; }
.toast { position: fixed; bottom: 18px; left: 50%; transform: translateX(-50%); background: var(--text); color: var(--panel); padding: 8px 14px; border-radius: 8px; font-size: 13px; opacity: 0; transition: opacity .2s; pointer-events: none; max-width: 90vw; z-index: 20; }
.toast.show { opacity: 1; }
.toast.error { background: var(--failed); color: #fff; }
dialog { border: 1px solid var(--line); border-radius: 12px; padding: 20px; background: var(--panel); color: var(--text); width: min(400px, 92vw); }
dialog::backdrop { background: rgba(15, 17, 21, .45); }
dialog h3 { margin: 0 0 6px; font-size: 16px; }
dialog p { margin: 0 0 14px; color: var(--muted); font-size: 13px; }
dialog input { width: 100%; border: 1px solid var(--line); border-radius: 7px; padding: 7px 9px; background: var(--bg); margin-bottom: 12px; }
.search { border: 1px solid var(--line); background: var(--panel); border-radius: 7px; padding: 4px 8px; min-width: 0; width: 240px; }
.spark { display: block; margin-top: 5px; }
.spark .ok { fill: var(--succeeded); } .spark .ko { fill: var(--failed); } .spark .base { fill: var(--line); }
.spark-cap { font-size: 11px; color: var(--faint); display: flex; justify-content: space-between; gap: 6px; }
.count.s-delayed { color: var(--sleeping); background: var(--sleeping-bg); }
.count.s-backlog { color: var(--pending); background: var(--pending-bg); }
.count.s-replayed { color: var(--muted); background: var(--skipped-bg); }
.attempts { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
.attempt { display: grid; grid-template-columns: 74px 1fr; gap: 8px; font-size: 12.5px; align-items: baseline; }
.attempt .a-n { color: var(--muted); font-variant-numeric: tabular-nums; }
.attempt .a-e { color: var(--failed); word-break: break-word; }
.attempt .a-t { color: var(--faint); font-size: 11.5px; margin-left: 6px; }
.wait-list { margin: 0; padding: 0; list-style: none; font-size: 12.5px; }
.formerr { background: var(--failed-bg); color: var(--failed); border-radius: 8px; padding: 6px 9px; font-size: 12.5px; margin: 0 0 12px; word-break: break-word; }
.formerr ul { margin: 4px 0 0; padding-left: 18px; }
dialog.wide { width: min(560px, 94vw); }
dialog label { display: block; font-size: 12px; color: var(--muted); margin-bottom: 3px; }
dialog textarea { width: 100%; border: 1px solid var(--line); border-radius: 7px; padding: 7px 9px; background: var(--bg); margin-bottom: 12px; font-family: var(--mono); font-size: 12.5px; resize: vertical; }
@media (max-width: 1180px) {
  .layout.with-detail { grid-template-columns: 250px minmax(0, 1fr); }
  .detail { position: fixed; top: 0; right: 0; bottom: 0; width: min(460px, 100vw); max-height: none; border-radius: 0; z-index: 10; box-shadow: -12px 0 32px rgba(0, 0, 0, .12); }
}
@media (max-width: 760px) {
  .top { padding: 10px 14px; gap: 10px; }
  .layout, .layout.with-detail { grid-template-columns: minmax(0, 1fr); padding: 12px; gap: 12px; }
  .main { order: -1; }
  .runs thead, .runs colgroup { display: none; }
  table.runs, .runs tbody { display: block; width: 100%; }
  .runs tbody tr { display: grid; grid-template-columns: minmax(0, 1fr) auto; grid-template-areas: "fn status" "fn when"; gap: 3px 10px; padding: 9px 14px; border-bottom: 1px solid var(--line); }
  .runs td { padding: 0; border: 0; }
  .runs td.c-status { grid-area: status; justify-self: end; }
  .runs td.c-fnc { grid-area: fn; }
  .runs td.c-when { grid-area: when; justify-self: end; font-size: 12.5px; }
  .toolbar select { flex: 1 1 0; min-width: 0; }
  .toolbar .search { flex: 1 1 100%; width: auto; }
  .brand { white-space: nowrap; }
  #live-text { display: none; }
  .toolbar .spacer { display: none; }
  .runs td.c-attempt, .runs td.c-dur { display: none; }
  .detail { width: 100vw; }
  .facts { grid-template-columns: repeat(2, minmax(0, 1fr)); }
}
</style>
</head>
<body>
<header class="top">
  <div class="brand"><span class="logo" aria-hidden="true"></span>eventide</div>
  <div class="spacer"></div>
  <button class="btn small primary" id="send-open" type="button">Send event</button>
  <div class="live" id="live" title="Live updates from /stream"><span class="dot"></span><span id="live-text">connecting</span></div>
  <button class="btn ghost small" id="signout" hidden>Forget token</button>
</header>
<main class="layout" id="layout">
  <aside class="side">
    <section class="card"><h2>Functions</h2><ul class="list" id="functions"></ul></section>
    <section class="card"><h2>Recent events</h2><ul class="list" id="events"></ul></section>
    <section class="card" id="dl-card" hidden><h2>Dead letters</h2><ul class="list" id="dead-letters"></ul></section>
  </aside>
  <section class="card main">
    <div class="toolbar">
      <h2>Runs</h2>
      <select id="f-function" aria-label="Function"><option value="">All functions</option></select>
      <select id="f-status" aria-label="Status">
        <option value="">Any status</option><option>running</option><option>retrying</option><option>sleeping</option><option>waiting</option><option>pending</option><option>skipped</option>
        <option>failed</option><option>succeeded</option><option>cancelled</option>
      </select>
      <select id="f-range" aria-label="Time range">
        <option value="">Any time</option><option value="15m">Last 15 min</option><option value="1h">Last hour</option><option value="24h">Last 24 hours</option><option value="7d">Last 7 days</option>
      </select>
      <input class="search" id="f-q" type="search" aria-label="Search runs" placeholder="Run id, event id or data" maxlength="200" spellcheck="false" autocomplete="off">
      <span id="f-event"></span>
      <div class="spacer"></div>
      <button class="btn small" id="replay-failed" hidden>Replay failed runs</button>
    </div>
    <table class="runs">
      <colgroup><col class="w-status"><col><col class="w-attempt"><col class="w-when"><col class="w-dur"></colgroup>
      <thead><tr><th>Status</th><th>Function</th><th>Attempt</th><th>Started</th><th>Duration</th></tr></thead>
      <tbody id="runs"></tbody>
    </table>
    <div class="empty" id="runs-empty" hidden>No runs yet. Send an event and they appear here.</div>
    <div class="empty" id="runs-none" hidden>No runs match these filters.</div>
    <div class="foot" id="more-wrap" hidden><button class="btn small" id="more">Load more</button></div>
  </section>
  <section class="card detail" id="detail" hidden></section>
</main>
<dialog id="login">
  <form id="login-form">
    <h3>API token</h3>
    <p>This dashboard needs the token the server was started with. It stays in this browser tab (sessionStorage) and is sent as a Bearer header.</p>
    <div class="formerr" id="login-error" role="alert" hidden>The server did not accept that token. Check the token the server was started with (it is compared exactly, case included).</div>
    <input id="token" type="password" autocomplete="off" placeholder="token" required>
    <div class="actions"><button class="btn primary" type="submit">Open dashboard</button></div>
  </form>
</dialog>
<dialog id="send" class="wide">
  <form id="send-form">
    <h3>Send an event</h3>
    <p>Sent as <span class="mono">POST /events</span>: every function it triggers starts a run, and the run list shows them.</p>
    <label for="send-name">Name</label>
    <input id="send-name" list="send-names" placeholder="user/created" required spellcheck="false" autocomplete="off">
    <datalist id="send-names"></datalist>
    <label for="send-data">Data (JSON)</label>
    <textarea id="send-data" rows="7" spellcheck="false">{}</textarea>
    <div class="formerr" id="send-error" role="alert" hidden></div>
    <div class="actions"><button class="btn primary" type="submit" id="send-submit">Send</button><button class="btn" type="button" id="send-cancel">Cancel</button></div>
  </form>
</dialog>
<div class="toast" id="toast" role="status"></div>
<script nonce="__NONCE__">
__SCRIPT__
</script>
</body>
</html>
`;

// The script is a file of its own so that it is linted like the rest; it is read once, when this module loads.
const page = template.replace('__SCRIPT__', () => readFileSync(new URL('./dashboard-client.js', import.meta.url), 'utf8'));

/** The dashboard page, with `nonce` on its inline script and style (for the handler's Content-Security-Policy). */
export function dashboardHtml(nonce: string): string {
  return page.replaceAll('__NONCE__', nonce);
}
