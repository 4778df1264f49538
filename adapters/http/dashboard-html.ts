/**
 * @module
 * The dashboard: one self-contained page (inline CSS and JS, no CDN, no
 * requests beyond its own API). It finds the API next to itself
 * (`location.pathname`), asks for the bearer token when the API answers 401
 * and keeps it in `sessionStorage`, and reads `/stream` with `fetch` (so the
 * token travels in the Authorization header, never in a URL), resuming with
 * `Last-Event-ID` after a disconnect.
 *
 * Every value from the API reaches the page through `textContent` or
 * `setAttribute` on elements the script creates; nothing is parsed as HTML.
 * The handler serves it with a CSP nonce: `__NONCE__` below is replaced per
 * response.
 */

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
  --retrying: #b45309; --retrying-bg: #fef3c7; --sleeping: #7c3aed; --sleeping-bg: #ede9fe; --cancelled: #6b7280; --cancelled-bg: #eef0f3;
  --pending: #475569; --pending-bg: #e2e8f0;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1115; --panel: #171a21; --text: #e7e9ee; --muted: #9aa1ad; --faint: #6b7280; --line: #262a33; --hover: #1d2129; --sel: #1c2540; --accent: #7c9cff;
    --succeeded: #4ade80; --succeeded-bg: #12301f; --failed: #f87171; --failed-bg: #3a1616; --running: #60a5fa; --running-bg: #15284a;
    --retrying: #fbbf24; --retrying-bg: #3a2a0c; --sleeping: #a78bfa; --sleeping-bg: #2a1f4a; --cancelled: #9ca3af; --cancelled-bg: #23262d; --pending: #94a3b8; --pending-bg: #1e2530;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text); }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; -webkit-font-smoothing: antialiased; }
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
.ev-name { font-weight: 550; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
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
.bar.open { opacity: .7; }
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
        <option value="">Any status</option><option>running</option><option>retrying</option><option>sleeping</option><option>pending</option>
        <option>failed</option><option>succeeded</option><option>cancelled</option>
      </select>
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
    <div class="foot" id="more-wrap" hidden><button class="btn small" id="more">Load more</button></div>
  </section>
  <section class="card detail" id="detail" hidden></section>
</main>
<dialog id="login">
  <form id="login-form">
    <h3>API token</h3>
    <p>This dashboard needs the token the server was started with. It stays in this browser tab (sessionStorage) and is sent as a Bearer header.</p>
    <input id="token" type="password" autocomplete="off" placeholder="token" required>
    <div class="actions"><button class="btn primary" type="submit">Open dashboard</button></div>
  </form>
</dialog>
<div class="toast" id="toast" role="status"></div>
<script nonce="__NONCE__">
(function () {
  'use strict';
  var base = location.pathname.replace(/\/+$/, '');
  var TOKEN_KEY = 'eventide.token';
  var token = sessionStorage.getItem(TOKEN_KEY) || '';
  var TERMINAL = { succeeded: 1, failed: 1, cancelled: 1 };
  var STATUSES = ['running', 'retrying', 'sleeping', 'pending', 'failed', 'succeeded', 'cancelled'];
  var state = { functions: [], runs: [], overview: [], events: [], filter: { functionId: '', status: '', eventId: '' }, nextCursor: null, selected: null, detail: null, lastEventId: null, stream: null };
  var $ = function (id) { return document.getElementById(id); };

  function h(tag, props) {
    var el = document.createElement(tag);
    if (props) for (var k in props) {
      var v = props[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = String(v);
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) { c.forEach(function (x) { append(el, x); }); return; }
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
  function pill(status) { return h('span', { class: 'pill ' + status + ' s-' + status, 'data-status': status, text: status }); }
  function short(id) { id = String(id || ''); return id.length > 16 ? id.slice(0, 12) + '…' + id.slice(-4) : id; }
  function preview(value) {
    var s;
    try { s = JSON.stringify(value); } catch (e) { s = String(value); }
    if (s === undefined) s = '';
    return s.length > 120 ? s.slice(0, 119) + '…' : s;
  }
  function pretty(value) { try { return JSON.stringify(value, null, 2); } catch (e) { return String(value); } }

  function ago(ts) {
    var s = (Date.now() - ts) / 1000, future = s < 0, a = Math.abs(s), t;
    if (a < 1) return future ? 'now' : 'just now';
    if (a < 60) t = Math.floor(a) + ' s';
    else if (a < 3600) t = Math.floor(a / 60) + ' min';
    else if (a < 86400) t = Math.floor(a / 3600) + ' h';
    else t = Math.floor(a / 86400) + ' d';
    return future ? 'in ' + t : t + ' ago';
  }
  function when(ts) { return h('span', { 'data-ago': ts, title: new Date(ts).toLocaleString(), text: ago(ts) }); }
  function dur(ms) {
    if (ms === undefined || ms === null || !isFinite(ms)) return '';
    if (ms < 1000) return Math.max(0, Math.round(ms)) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
    if (ms < 3600000) return Math.floor(ms / 60000) + ' min ' + Math.floor((ms % 60000) / 1000) + ' s';
    return Math.floor(ms / 3600000) + ' h ' + Math.floor((ms % 3600000) / 60000) + ' min';
  }
  function runDuration(r) { return r.endedAt !== undefined ? r.endedAt - r.createdAt : Date.now() - r.createdAt; }

  var toastTimer;
  function toast(msg, isError) {
    var t = $('toast'); t.textContent = msg; t.className = 'toast show' + (isError ? ' error' : '');
    clearTimeout(toastTimer); toastTimer = setTimeout(function () { t.className = 'toast'; }, 3500);
  }

  function Unauthorized() { this.message = 'unauthorized'; }
  function api(path, opts) {
    opts = opts || {};
    var headers = { accept: 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    return fetch(base + path, { method: opts.method || 'GET', headers: headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401) { askToken(); throw new Unauthorized(); }
        return res.json().catch(function () { return {}; }).then(function (body) {
          if (!res.ok) throw new Error((body && body.error && body.error.message) || ('HTTP ' + res.status));
          return body;
        });
      });
  }
  function report(e) { if (!(e instanceof Unauthorized)) toast(e && e.message ? e.message : String(e), true); }

  function askToken() {
    var d = $('login');
    if (!d.open) { $('token').value = ''; d.showModal(); }
  }
  $('login-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    token = $('token').value.trim();
    sessionStorage.setItem(TOKEN_KEY, token);
    $('login').close();
    $('signout').hidden = !token;
    restart();
  });
  $('login').addEventListener('cancel', function (ev) { ev.preventDefault(); });
  $('signout').hidden = !token;
  $('signout').addEventListener('click', function () { sessionStorage.removeItem(TOKEN_KEY); token = ''; location.reload(); });

  // ---- data ----
  function query() {
    var q = new URLSearchParams();
    if (state.filter.functionId) q.set('functionId', state.filter.functionId);
    if (state.filter.status) q.set('status', state.filter.status);
    if (state.filter.eventId) q.set('eventId', state.filter.eventId);
    q.set('limit', '50');
    return q;
  }
  function loadRuns() {
    return api('/runs?' + query()).then(function (b) { state.runs = b.runs; state.nextCursor = b.nextCursor; renderRuns(); });
  }
  function loadMore() {
    if (!state.nextCursor) return;
    var q = query(); q.set('cursor', state.nextCursor);
    api('/runs?' + q).then(function (b) { state.runs = state.runs.concat(b.runs); state.nextCursor = b.nextCursor; renderRuns(); }).catch(report);
  }
  function loadOverview() { return api('/runs?limit=500').then(function (b) { state.overview = b.runs; renderFunctions(); }); }
  function loadFunctions() { return api('/functions').then(function (b) { state.functions = b.functions; renderFunctionFilter(); renderFunctions(); }); }
  function loadEvents() { return api('/events?limit=15').then(function (b) { state.events = b.events; renderEvents(); }); }
  function loadDeadLetters() { return api('/dead-letters?limit=10').then(function (b) { renderDeadLetters(b.deadLetters); }); }
  function loadDetail() {
    var id = state.selected;
    if (!id) return Promise.resolve();
    return api('/runs/' + encodeURIComponent(id)).then(function (b) { if (state.selected === id) { state.detail = b.run; renderDetail(); } });
  }
  function loadAll() {
    return Promise.all([loadFunctions(), loadRuns(), loadOverview(), loadEvents(), loadDeadLetters(), loadDetail()]);
  }

  var refreshTimer = null, detailTimer = null;
  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      Promise.all([loadRuns(), loadOverview(), loadEvents()]).catch(report);
    }, 800);
  }
  function scheduleDetail() {
    if (detailTimer) return;
    detailTimer = setTimeout(function () { detailTimer = null; loadDetail().catch(report); }, 150);
  }

  // ---- render ----
  function countsFor(fnId) {
    var c = {};
    state.overview.forEach(function (r) { if (r.functionId === fnId) c[r.status] = (c[r.status] || 0) + 1; });
    return c;
  }
  function renderFunctionFilter() {
    var sel = $('f-function'), keep = state.filter.functionId;
    clear(sel).appendChild(h('option', { value: '', text: 'All functions' }));
    state.functions.forEach(function (f) { sel.appendChild(h('option', { value: f.id, text: f.id })); });
    sel.value = keep;
  }
  function renderFunctions() {
    var ul = clear($('functions'));
    if (!state.functions.length) ul.appendChild(h('li', { class: 'empty', text: 'No functions registered.' }));
    state.functions.forEach(function (f) {
      var c = countsFor(f.id);
      var counts = h('div', { class: 'counts' }, STATUSES.filter(function (s) { return c[s]; }).map(function (s) {
        return h('span', { class: 'count s-' + s, title: s, text: c[s] + ' ' + s });
      }));
      var replay = c.failed ? h('button', { class: 'btn small danger', 'data-replay': f.id, text: 'Replay ' + c.failed + ' failed',
        onclick: function (ev) { ev.stopPropagation(); replayFailed(f.id); } }) : null;
      ul.appendChild(h('li', { class: 'fn' + (state.filter.functionId === f.id ? ' active' : ''), 'data-fn': f.id, onclick: function () { setFilter({ functionId: state.filter.functionId === f.id ? '' : f.id }); } },
        h('div', { class: 'fn-name', text: f.id }),
        h('div', { class: 'fn-meta' }, h('span', { text: 'on ' + f.trigger }), h('span', { class: 'faint', text: '· ' + f.retries + ' retries' })),
        h('div', { class: 'counts' }, counts.childNodes.length ? counts : h('span', { class: 'faint', text: 'no runs' }), replay)));
    });
    var rf = $('replay-failed'), fc = state.filter.functionId ? countsFor(state.filter.functionId).failed : 0;
    rf.hidden = !fc;
    rf.textContent = 'Replay ' + (fc || '') + ' failed run' + (fc === 1 ? '' : 's');
  }
  function renderEvents() {
    var ul = clear($('events'));
    if (!state.events.length) ul.appendChild(h('li', { class: 'empty', text: 'No events yet.' }));
    state.events.forEach(function (e) {
      ul.appendChild(h('li', { class: 'ev', title: e.id, onclick: function () { setFilter({ eventId: e.id, functionId: '', status: '' }); } },
        h('div', { class: 'ev-top' }, h('span', { class: 'ev-name', text: e.name }), h('span', { class: 'faint num' }, when(e.ts))),
        h('div', { class: 'ev-data', text: preview(e.data) })));
    });
  }
  function renderDeadLetters(list) {
    $('dl-card').hidden = !list.length;
    var ul = clear($('dead-letters'));
    list.forEach(function (d) {
      ul.appendChild(h('li', { class: 'dl' }, h('div', { text: d.reason }), h('div', { class: 'faint' }, (d.event ? d.event.name + ' · ' : '') + d.group + ' · ', when(d.at))));
    });
  }
  function runRow(r) {
    return h('tr', { 'data-run-id': r.id, class: r.id === state.selected ? 'selected' : '', onclick: function () { select(r.id); } },
      h('td', { class: 'c-status' }, pill(r.status)),
      h('td', { class: 'c-fnc' }, h('div', { class: 'c-fn', title: r.functionId, text: r.functionId }),
        h('div', { class: 'c-sub', title: r.eventName + ' · ' + r.id }, r.eventName + ' · ', h('span', { class: 'c-id', text: short(r.id) }), r.replayOf ? h('span', { class: 'tag', text: 'replay' }) : null)),
      h('td', { class: 'c-attempt num', text: r.attempt }),
      h('td', { class: 'c-when num' }, when(r.createdAt)),
      h('td', { class: 'c-dur num', 'data-dur-from': r.endedAt === undefined ? r.createdAt : null, text: r.status === 'pending' ? '' : dur(runDuration(r)) }));
  }
  function renderRuns() {
    var tb = clear($('runs'));
    state.runs.forEach(function (r) { tb.appendChild(runRow(r)); });
    $('runs-empty').hidden = state.runs.length > 0;
    $('more-wrap').hidden = !state.nextCursor;
    var chip = clear($('f-event'));
    if (state.filter.eventId) chip.appendChild(h('span', { class: 'chip' }, 'event ' + short(state.filter.eventId), h('button', { 'aria-label': 'Clear event filter', text: '×', onclick: function () { setFilter({ eventId: '' }); } })));
  }
  function patchRow(change) {
    var r = state.runs.find(function (x) { return x.id === change.runId; });
    if (!r) return false;
    r.status = change.to; r.attempt = change.attempt; r.updatedAt = change.at;
    if (TERMINAL[change.to]) r.endedAt = change.at;
    var old = document.querySelector('tr[data-run-id="' + CSS.escape(r.id) + '"]');
    if (old) { var row = runRow(r); row.classList.add('flash'); old.replaceWith(row); }
    return true;
  }

  function fact(k, v) { return h('div', { class: 'fact' }, h('div', { class: 'k', text: k }), h('div', { class: 'v' }, v)); }
  function renderDetail() {
    var r = state.detail, el = $('detail');
    if (!r) { el.hidden = true; $('layout').classList.remove('with-detail'); return; }
    el.hidden = false; $('layout').classList.add('with-detail');
    var scroll = el.scrollTop;
    clear(el);
    var now = Date.now();
    var actions = h('div', { class: 'actions' });
    if (!TERMINAL[r.status]) actions.appendChild(h('button', { class: 'btn small danger', id: 'cancel-run', text: 'Cancel run', onclick: function (ev) { armed(ev.currentTarget, 'Confirm cancel', function () { cancelRun(r.id); }); } }));
    if (TERMINAL[r.status]) actions.appendChild(h('button', { class: 'btn small' + (r.status === 'failed' ? ' primary' : ''), id: 'replay-run', text: 'Replay this run', onclick: function () { replayRuns([r.id]); } }));
    el.appendChild(h('div', { class: 'd-head' },
      h('div', { class: 'd-title' }, pill(r.status), h('div', { class: 'd-fn', text: r.functionId }), h('div', { class: 'd-id', text: r.id })),
      h('button', { class: 'btn small', 'aria-label': 'Close', text: '✕', onclick: function () { select(null); } })));
    var facts = h('div', { class: 'facts' },
      fact('Event', h('span', { title: r.eventId, text: r.event ? r.event.name : r.eventId })),
      fact('Attempt', String(r.attempt)),
      fact('Started', when(r.createdAt)),
      fact('Duration', h('span', { 'data-dur-from': r.endedAt === undefined ? r.createdAt : null, text: dur((r.endedAt || now) - r.createdAt) + (r.endedAt === undefined ? ' so far' : '') })),
      r.nextAttemptAt ? fact(r.status === 'sleeping' ? 'Wakes' : 'Next attempt', when(r.nextAttemptAt)) : null,
      r.endedAt ? fact('Ended', when(r.endedAt)) : null,
      r.replayOf ? fact('Replay of', h('button', { class: 'link', text: short(r.replayOf), title: r.replayOf, onclick: function () { select(r.replayOf); } })) : null);
    el.appendChild(h('div', { class: 'd-sec' }, facts, actions));
    if (r.error) {
      el.appendChild(h('div', { class: 'd-sec' }, h('h2', { text: 'Error' }), h('div', { class: 'errbox', id: 'run-error' },
        h('strong', { text: r.error.name + ': ' }), r.error.message,
        r.error.stack ? h('details', null, h('summary', { text: 'Stack trace' }), h('pre', { text: r.error.stack })) : null)));
    }
    el.appendChild(h('div', { class: 'd-sec' }, h('h2', { text: 'Steps' }), timeline(r, now)));
    var logs = h('div', { class: 'logs', id: 'run-logs' });
    if (!r.logs.length) logs.appendChild(h('div', { class: 'faint', text: 'No log lines.' }));
    r.logs.forEach(function (l) {
      logs.appendChild(h('div', { class: 'log' },
        h('span', { class: 't', title: new Date(l.at).toLocaleString() + ' · attempt ' + l.attempt, text: '+' + dur(l.at - r.createdAt) }),
        h('span', { class: 'l ' + l.level, text: l.level }),
        h('span', null, h('span', { class: 'msg', text: l.message }), l.fields ? h('span', { class: 'f', text: ' ' + preview(l.fields) }) : null)));
    });
    if (r.logsDropped) logs.appendChild(h('div', { class: 'faint', text: r.logsDropped + ' more lines dropped' }));
    el.appendChild(h('div', { class: 'd-sec' }, h('h2', { text: 'Logs' }), logs));
    if (r.output !== undefined) el.appendChild(h('div', { class: 'd-sec' }, h('h2', { text: 'Output' }), h('pre', { id: 'run-output', text: pretty(r.output) })));
    if (r.event) el.appendChild(h('div', { class: 'd-sec' }, h('h2', { text: 'Event data' }), h('pre', { text: pretty(r.event.data) })));
    el.scrollTop = scroll;
  }
  function timeline(r, now) {
    var wrap = h('div', { id: 'run-steps' });
    if (!r.steps.length) { wrap.appendChild(h('div', { class: 'faint', text: TERMINAL[r.status] ? 'No steps.' : 'No steps yet.' })); return wrap; }
    var t0 = r.createdAt, t1 = r.endedAt || now;
    r.steps.forEach(function (s) { t1 = Math.max(t1, s.endedAt || s.startedAt, s.wakeAt && s.status === 'sleeping' ? Math.min(s.wakeAt, now) : 0); });
    var span = Math.max(1, t1 - t0);
    wrap.appendChild(h('div', { class: 'tl-axis' }, h('span', { text: '0' }), h('span', { text: dur(span) })));
    r.steps.forEach(function (s) {
      var end = s.endedAt !== undefined ? s.endedAt : (s.status === 'sleeping' ? Math.min(s.wakeAt || now, now) : now);
      var bar = h('div', { class: 'bar ' + s.status + (s.endedAt === undefined ? ' open' : ''), title: s.status + ' · ' + dur(end - s.startedAt) });
      bar.style.left = (100 * (s.startedAt - t0) / span).toFixed(2) + '%';
      bar.style.width = Math.max(0.6, 100 * (end - s.startedAt) / span).toFixed(2) + '%';
      var meta = [s.kind === 'run' ? '' : s.kind, s.endedAt !== undefined ? dur(s.endedAt - s.startedAt) : s.status, s.attempts > 1 ? s.attempts + ' attempts' : ''].filter(Boolean).join(' · ');
      wrap.appendChild(h('div', { class: 'step', 'data-step': s.id },
        h('div', { class: 'step-name' }, h('span', { class: 'n', title: s.id, text: s.id }), h('span', { class: 'm', text: meta })),
        h('div', { class: 'track' }, bar),
        s.error ? h('div', { class: 'step-err', text: (s.status === 'failed' ? '✕ ' : '↻ ') + s.error.name + ': ' + s.error.message }) : null));
    });
    return wrap;
  }

  function armed(btn, label, fn) {
    if (btn.classList.contains('armed')) { fn(); return; }
    var text = btn.textContent; btn.classList.add('armed'); btn.textContent = label;
    setTimeout(function () { btn.classList.remove('armed'); btn.textContent = text; }, 3000);
  }

  // ---- actions ----
  function select(id) {
    state.selected = id; state.detail = null;
    document.querySelectorAll('#runs tr').forEach(function (tr) { tr.classList.toggle('selected', tr.getAttribute('data-run-id') === id); });
    if (!id) { renderDetail(); return; }
    loadDetail().catch(report);
  }
  function setFilter(patch) {
    Object.assign(state.filter, patch);
    $('f-function').value = state.filter.functionId; $('f-status').value = state.filter.status;
    renderFunctions();
    loadRuns().catch(report);
  }
  function replayRuns(ids) {
    api('/replay', { method: 'POST', body: { runIds: ids } }).then(function (b) { toast('Replaying: new run ' + short(b.ids[0])); scheduleRefresh(); }).catch(report);
  }
  function replayFailed(fnId) {
    api('/replay', { method: 'POST', body: { functionId: fnId, status: 'failed' } })
      .then(function (b) { toast(b.ids.length ? 'Replaying ' + b.ids.length + ' failed run' + (b.ids.length === 1 ? '' : 's') + ' of ' + fnId : 'No failed runs to replay'); scheduleRefresh(); })
      .catch(report);
  }
  function cancelRun(id) {
    api('/runs/' + encodeURIComponent(id) + '/cancel', { method: 'POST', body: {} }).then(function () { toast('Run cancelled'); scheduleRefresh(); scheduleDetail(); }).catch(report);
  }
  $('f-function').addEventListener('change', function (e) { setFilter({ functionId: e.target.value }); });
  $('f-status').addEventListener('change', function (e) { setFilter({ status: e.target.value }); });
  $('more').addEventListener('click', loadMore);
  $('replay-failed').addEventListener('click', function () { if (state.filter.functionId) replayFailed(state.filter.functionId); });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape' && state.selected && !$('login').open) select(null); });

  // ---- live updates: fetch-based SSE so the token goes in a header ----
  function setLive(on, text) { $('live').className = 'live' + (on ? ' on' : ''); $('live-text').textContent = text || (on ? 'live' : 'reconnecting'); }
  function onChange(c) {
    patchRow(c);
    scheduleRefresh();
    if (c.runId === state.selected) scheduleDetail();
  }
  function onFrame(frame) {
    var event = 'message', data = '', id = null;
    frame.split('\n').forEach(function (line) {
      if (!line || line.charAt(0) === ':') return;
      var i = line.indexOf(':'), field = i < 0 ? line : line.slice(0, i), v = i < 0 ? '' : line.slice(i + 1);
      if (v.charAt(0) === ' ') v = v.slice(1);
      if (field === 'event') event = v; else if (field === 'data') data += (data ? '\n' : '') + v; else if (field === 'id') id = v;
    });
    if (id !== null) state.lastEventId = id;
    if (event === 'run') { try { onChange(JSON.parse(data)); } catch (e) { /* ignore a malformed frame */ } }
    else if (event === 'reset') loadAll().catch(report);
  }
  function connect() {
    if (state.stream) state.stream.abort();
    var ctrl = new AbortController(); state.stream = ctrl;
    var headers = { accept: 'text/event-stream' };
    if (token) headers.authorization = 'Bearer ' + token;
    if (state.lastEventId !== null) headers['last-event-id'] = state.lastEventId;
    fetch(base + '/stream', { headers: headers, signal: ctrl.signal, cache: 'no-store' }).then(function (res) {
      if (res.status === 401) { setLive(false, 'signed out'); askToken(); return 'stop'; }
      if (!res.ok || !res.body) throw new Error('stream answered ' + res.status);
      setLive(true);
      var reader = res.body.pipeThrough(new TextDecoderStream()).getReader(), buf = '';
      function pump() {
        return reader.read().then(function (x) {
          if (x.done) return;
          buf += x.value;
          var i;
          while ((i = buf.indexOf('\n\n')) >= 0) { onFrame(buf.slice(0, i)); buf = buf.slice(i + 2); }
          return pump();
        });
      }
      return pump();
    }).catch(function () { return null; }).then(function (r) {
      if (ctrl.signal.aborted || r === 'stop') return;
      setLive(false);
      setTimeout(function () { if (state.stream === ctrl) connect(); }, 1500);
    });
  }

  setInterval(function () {
    document.querySelectorAll('[data-ago]').forEach(function (el) { el.textContent = ago(Number(el.getAttribute('data-ago'))); });
    document.querySelectorAll('[data-dur-from]').forEach(function (el) {
      var from = Number(el.getAttribute('data-dur-from'));
      el.textContent = dur(Date.now() - from) + (el.closest('.fact') ? ' so far' : '');
    });
  }, 1000);

  function restart() {
    connect();
    loadAll().catch(report);
  }
  restart();
})();
</script>
</body>
</html>
`;

/** The dashboard page, with `nonce` on its inline script and style (for the handler's Content-Security-Policy). */
export function dashboardHtml(nonce: string): string {
  return template.replaceAll('__NONCE__', nonce);
}
