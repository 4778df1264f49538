/**
 * The dashboard's script, served inline in the page (dashboard-html.ts reads
 * this file once). Plain browser JavaScript, no build step of its own.
 *
 * Event names, data, step ids, log lines and errors are whatever a user's
 * code or an API client sent, so every value from the API is treated as
 * hostile: it reaches the page only as a text node or as the value of an
 * attribute that cannot load or run anything (h() refuses any other), is
 * never parsed as HTML, never becomes a class name unless it is a known
 * status or log level, and sits in an element of its own that the
 * stylesheet isolates for bidi, so a right-to-left override in one value
 * cannot reorder its neighbours (a run id next to an event name).
 */
(function () {
  'use strict';
  var base = location.pathname.replace(/\/+$/, '');
  var TOKEN_KEY = 'eventide.token';
  var token = sessionStorage.getItem(TOKEN_KEY) || '';
  var TERMINAL = { succeeded: 1, failed: 1, cancelled: 1, skipped: 1 };
  var STATUSES = ['running', 'retrying', 'sleeping', 'waiting', 'pending', 'failed', 'succeeded', 'cancelled', 'skipped'];
  var STEP_STATUSES = ['succeeded', 'failed', 'retrying', 'sleeping', 'cancelled'];
  // The time range presets of the range picker, and how far back each reaches.
  var RANGES = { '15m': 900000, '1h': 3600000, '24h': 86400000, '7d': 604800000 };
  // Live changes refresh the run list at once, then at most this often while they keep coming (never a request per change).
  var REFRESH_MIN_MS = 250;
  var STATS_MIN_MS = 1000;
  var PAGE = 50;
  var LEVELS = ['debug', 'info', 'warn', 'error'];
  // No URL, style, srcdoc or on* attribute: a value from the API in one of those could load or run something.
  var SAFE_ATTRIBUTE = /^(id|class|title|value|type|aria-label|data-[a-z-]+)$/;
  var state = {
    functions: [],
    runs: [],
    stats: null,
    events: [],
    filter: { functionId: '', status: '', eventId: '', q: '', range: '' },
    nextCursor: null,
    selected: null,
    detail: null,
    lastEventId: null,
    stream: null,
  };
  var $ = function (id) {
    return document.getElementById(id);
  };

  function h(tag, props) {
    var el = document.createElement(tag);
    if (props)
      for (var k in props) {
        var v = props[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === 'text') el.textContent = String(v);
        else if (k.slice(0, 2) === 'on' && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (SAFE_ATTRIBUTE.test(k)) el.setAttribute(k, v === true ? '' : String(v));
        else throw new Error('the dashboard does not set the attribute ' + k);
      }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, c) {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) {
      c.forEach(function (x) {
        append(el, x);
      });
      return;
    }
    // A bare string gets an element of its own, so the stylesheet can isolate it from its neighbours.
    el.appendChild(c instanceof Node ? c : h('span', { text: c }));
  }
  /** `value` when it is one of `known`; a class name is never made from anything else. */
  function oneOf(value, known) {
    return known.indexOf(value) >= 0 ? value : 'unknown';
  }
  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }
  function pill(status) {
    var s = oneOf(status, STATUSES);
    return h('span', { class: 'pill ' + s + ' s-' + s, 'data-status': status, text: status });
  }
  function short(id) {
    id = String(id || '');
    return id.length > 16 ? id.slice(0, 12) + '…' + id.slice(-4) : id;
  }
  function preview(value) {
    var s;
    try {
      s = JSON.stringify(value);
    } catch {
      s = String(value);
    }
    if (s === undefined) s = '';
    return s.length > 120 ? s.slice(0, 119) + '…' : s;
  }
  function pretty(value) {
    try {
      return JSON.stringify(value, null, 2);
    } catch {
      return String(value);
    }
  }

  function ago(ts) {
    var s = (Date.now() - ts) / 1000,
      future = s < 0,
      a = Math.abs(s),
      t;
    if (a < 1) return future ? 'now' : 'just now';
    if (a < 60) t = Math.floor(a) + ' s';
    else if (a < 3600) t = Math.floor(a / 60) + ' min';
    else if (a < 86400) t = Math.floor(a / 3600) + ' h';
    else t = Math.floor(a / 86400) + ' d';
    return future ? 'in ' + t : t + ' ago';
  }
  function when(ts) {
    return h('span', { 'data-ago': ts, title: new Date(ts).toLocaleString(), text: ago(ts) });
  }
  function dur(ms) {
    if (ms === undefined || ms === null || !isFinite(ms)) return '';
    if (ms < 1000) return Math.max(0, Math.round(ms)) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
    if (ms < 3600000) return Math.floor(ms / 60000) + ' min ' + Math.floor((ms % 60000) / 1000) + ' s';
    return Math.floor(ms / 3600000) + ' h ' + Math.floor((ms % 3600000) / 60000) + ' min';
  }
  function runDuration(r) {
    return r.endedAt !== undefined ? r.endedAt - r.createdAt : Date.now() - r.createdAt;
  }

  var toastTimer;
  function toast(msg, isError) {
    var t = $('toast');
    t.textContent = msg;
    t.className = 'toast show' + (isError ? ' error' : '');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () {
      t.className = 'toast';
    }, 3500);
  }

  function Unauthorized() {
    this.message = 'unauthorized';
  }
  function api(path, opts) {
    opts = opts || {};
    var headers = { accept: 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    return fetch(base + path, {
      method: opts.method || 'GET',
      headers: headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      cache: 'no-store',
    }).then(function (res) {
      if (res.status === 401) {
        askToken(Boolean(token));
        throw new Unauthorized();
      }
      return res
        .json()
        .catch(function () {
          return {};
        })
        .then(function (body) {
          if (!res.ok) {
            var err = new Error((body && body.error && body.error.message) || 'HTTP ' + res.status);
            err.detail = (body && body.error) || {};
            throw err;
          }
          return body;
        });
    });
  }
  function report(e) {
    if (!(e instanceof Unauthorized)) toast(e && e.message ? e.message : String(e), true);
  }

  /** Asks for the token; `rejected` when the one this tab sent was refused (a typo, or the server now has another). */
  function askToken(rejected) {
    var d = $('login');
    $('login-error').hidden = !rejected;
    if (!d.open) {
      $('token').value = '';
      d.showModal();
    }
  }
  $('login-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    token = $('token').value.trim();
    sessionStorage.setItem(TOKEN_KEY, token);
    $('login').close();
    $('signout').hidden = !token;
    restart();
  });
  $('login').addEventListener('cancel', function (ev) {
    ev.preventDefault();
  });
  $('signout').hidden = !token;
  $('signout').addEventListener('click', function () {
    sessionStorage.removeItem(TOKEN_KEY);
    token = '';
    location.reload();
  });

  // ---- data ----
  function rangeQuery(q) {
    var back = RANGES[state.filter.range];
    if (back) q.set('from', String(Date.now() - back));
    return q;
  }
  function query(limit) {
    var q = new URLSearchParams();
    if (state.filter.functionId) q.set('functionId', state.filter.functionId);
    if (state.filter.status) q.set('status', state.filter.status);
    if (state.filter.eventId) q.set('eventId', state.filter.eventId);
    if (state.filter.q) q.set('q', state.filter.q);
    rangeQuery(q);
    q.set('limit', String(limit || PAGE));
    return q;
  }
  var runsSeq = 0;
  /** The first page again, as long as what is shown (rows added by "Load more" stay), up to the API's 500. */
  function loadRuns(reset) {
    var seq = ++runsSeq;
    var limit = reset ? PAGE : Math.min(500, Math.max(PAGE, state.runs.length));
    return api('/runs?' + query(limit)).then(function (b) {
      if (seq !== runsSeq) return; // a newer request (another filter) answers instead
      state.runs = b.runs;
      state.nextCursor = b.nextCursor;
      renderRuns();
    });
  }
  function loadMore() {
    if (!state.nextCursor) return;
    var q = query();
    q.set('cursor', state.nextCursor);
    api('/runs?' + q)
      .then(function (b) {
        state.runs = state.runs.concat(b.runs);
        state.nextCursor = b.nextCursor;
        renderRuns();
      })
      .catch(report);
  }
  function loadStats() {
    return api('/stats?' + rangeQuery(new URLSearchParams())).then(function (b) {
      state.stats = b;
      renderFunctions();
    });
  }
  function loadFunctions() {
    return api('/functions').then(function (b) {
      state.functions = b.functions;
      renderFunctionFilter();
      renderFunctions();
    });
  }
  function loadEvents() {
    return api('/events?limit=15').then(function (b) {
      state.events = b.events;
      renderEvents();
    });
  }
  function loadDeadLetters() {
    return api('/dead-letters?limit=10').then(function (b) {
      renderDeadLetters(b.deadLetters);
    });
  }
  function loadDetail() {
    var id = state.selected;
    if (!id) return Promise.resolve();
    return api('/runs/' + encodeURIComponent(id)).then(function (b) {
      if (state.selected === id) {
        state.detail = b.run;
        renderDetail();
      }
    });
  }
  function loadAll() {
    return Promise.all([loadFunctions(), loadRuns(), loadStats(), loadEvents(), loadDeadLetters(), loadDetail()]);
  }

  /**
   * Runs `load` at once when it last ran at least `minMs` ago, else when that
   * much time has passed; never two at a time (changes during a load run it
   * once more after). A burst of changes costs a few requests, not one each.
   */
  function throttled(load, minMs) {
    var last = 0,
      timer = null,
      busy = false,
      again = false;
    function go() {
      timer = null;
      busy = true;
      last = Date.now();
      load()
        .catch(report)
        .then(function () {
          busy = false;
          if (again) {
            again = false;
            kick();
          }
        });
    }
    function kick() {
      if (busy) {
        again = true;
        return;
      }
      if (!timer) timer = setTimeout(go, Math.max(0, last + minMs - Date.now()));
    }
    return kick;
  }
  var scheduleRefresh = throttled(function () {
    return Promise.all([loadRuns(), loadEvents()]);
  }, REFRESH_MIN_MS);
  var scheduleStats = throttled(loadStats, STATS_MIN_MS);
  var detailTimer = null;
  function scheduleDetail() {
    if (detailTimer) return;
    detailTimer = setTimeout(function () {
      detailTimer = null;
      loadDetail().catch(report);
    }, 150);
  }

  // ---- render ----
  function statsFor(fnId) {
    var list = (state.stats && state.stats.functions) || [];
    for (var i = 0; i < list.length; i++) if (list[i].id === fnId) return list[i];
    return null;
  }
  function rangeLabel() {
    var o = $('f-range').selectedOptions[0];
    return state.filter.range && o ? o.textContent.toLowerCase() : 'the last hour';
  }
  var SVG = 'http://www.w3.org/2000/svg';
  /** An SVG element; its attributes are numbers the script computed and class names from its own list, never a value from the API. */
  function svg(tag, attrs) {
    var el = document.createElementNS(SVG, tag);
    for (var k in attrs)
      el.setAttribute(k, typeof attrs[k] === 'number' ? attrs[k].toFixed(1) : oneOf(attrs[k], ['ok', 'ko', 'base', 'spark']));
    return el;
  }
  /** Runs that succeeded (green, up) and failed (red, down from the top) per bucket across the range. */
  function sparkline(st) {
    var n = st.succeeded.length,
      w = 200,
      hgt = 24,
      bw = w / n,
      max = 1;
    for (var i = 0; i < n; i++) max = Math.max(max, st.succeeded[i] + st.failed[i]);
    var g = svg('svg', { class: 'spark', width: w, height: hgt });
    g.setAttribute('viewBox', '0 0 ' + w + ' ' + hgt);
    g.setAttribute('aria-hidden', 'true');
    g.setAttribute('data-spark', '');
    g.appendChild(svg('rect', { class: 'base', x: 0, y: hgt - 1, width: w, height: 1 }));
    for (var j = 0; j < n; j++) {
      var ok = ((hgt - 2) * st.succeeded[j]) / max,
        ko = ((hgt - 2) * st.failed[j]) / max;
      if (ok > 0) g.appendChild(svg('rect', { class: 'ok', x: j * bw + 0.5, y: hgt - 1 - ok, width: bw - 1, height: ok }));
      if (ko > 0) g.appendChild(svg('rect', { class: 'ko', x: j * bw + 0.5, y: hgt - 1 - ok - ko, width: bw - 1, height: ko }));
    }
    return g;
  }
  function sum(list) {
    return list.reduce(function (a, b) {
      return a + b;
    }, 0);
  }
  function renderFunctionFilter() {
    var sel = $('f-function'),
      keep = state.filter.functionId;
    clear(sel).appendChild(h('option', { value: '', text: 'All functions' }));
    state.functions.forEach(function (f) {
      sel.appendChild(h('option', { value: f.id, text: f.id }));
    });
    sel.value = keep;
  }
  function renderFunctions() {
    var ul = clear($('functions'));
    if (!state.functions.length) ul.appendChild(h('li', { class: 'empty', text: 'No functions registered.' }));
    state.functions.forEach(function (f) {
      var st = statsFor(f.id),
        c = (st && st.counts) || {};
      var counts = h(
        'div',
        { class: 'counts' },
        STATUSES.concat(['replayed'])
          // Runs waiting now are in the queue line below, whatever the range.
          .filter(function (s) {
            return c[s] && s !== 'waiting';
          })
          .map(function (s) {
            return h('span', { class: 'count s-' + s, 'data-count': s, title: s, text: c[s] + ' ' + s });
          }),
      );
      // What waits now, whatever the range: runs held by a limit, delayed sends not yet due, and the transport's backlog where it is known.
      var queue = st
        ? h(
            'div',
            { class: 'counts', 'data-queue': f.id },
            st.waiting
              ? h('span', {
                  class: 'count s-waiting',
                  'data-waiting': st.waiting,
                  title: 'runs waiting now (for a limit’s slot, or what their wait names)',
                  text: st.waiting + ' waiting',
                })
              : null,
            st.delayed ? h('span', { class: 'count s-delayed', 'data-delayed': st.delayed, text: st.delayed + ' delayed' }) : null,
            typeof st.backlog === 'number'
              ? h('span', {
                  class: 'count s-backlog',
                  'data-backlog': st.backlog,
                  title: 'undelivered, from the transport',
                  text: st.backlog + ' in backlog',
                })
              : null,
          )
        : null;
      var spark = st
        ? h(
            'div',
            { class: 'spark-wrap', title: sum(st.succeeded) + ' succeeded, ' + sum(st.failed) + ' failed in ' + rangeLabel() },
            sparkline(st),
            h(
              'div',
              { class: 'spark-cap' },
              h('span', { text: rangeLabel() }),
              h('span', { 'data-spark-total': f.id, text: sum(st.succeeded) + ' ok · ' + sum(st.failed) + ' failed' }),
            ),
          )
        : null;
      // Replay acts on every failed run of the function, whatever the range: its count says so.
      var replayable = (st && st.replayable) || 0;
      var replay = replayable
        ? h('button', {
            class: 'btn small danger',
            'data-replay': f.id,
            text: 'Replay ' + replayable + ' failed',
            onclick: function (ev) {
              ev.stopPropagation();
              replayFailed(f.id);
            },
          })
        : null;
      ul.appendChild(
        h(
          'li',
          {
            class: 'fn' + (state.filter.functionId === f.id ? ' active' : ''),
            'data-fn': f.id,
            onclick: function () {
              setFilter({ functionId: state.filter.functionId === f.id ? '' : f.id });
            },
          },
          h('div', { class: 'fn-name', text: f.id }),
          // A dashboard outside the service (eventide dashboard) knows a function only from its runs: no trigger, no retries.
          f.trigger === undefined
            ? h('div', { class: 'fn-meta' }, h('span', { class: 'faint', text: 'seen in runs' }))
            : h(
                'div',
                { class: 'fn-meta' },
                h('span', null, 'on ', h('span', { text: f.trigger })),
                h('span', { class: 'faint', text: '· ' + f.retries + ' retries' }),
                f.limits ? h('span', { class: 'faint', 'data-limits': f.id, text: '· ' + limitsText(f.limits) }) : null,
                f.nextTick ? h('span', { class: 'faint', 'data-next-tick': f.id }, '· next tick ', when(f.nextTick)) : null,
              ),
          h('div', { class: 'counts' }, counts.childNodes.length ? counts : h('span', { class: 'faint', text: 'no runs' }), replay),
          queue && queue.childNodes.length ? queue : null,
          spark,
        ),
      );
    });
    var rf = $('replay-failed'),
      fs = state.filter.functionId ? statsFor(state.filter.functionId) : null,
      fc = (fs && fs.replayable) || 0;
    rf.hidden = !fc;
    rf.textContent = 'Replay ' + (fc || '') + ' failed run' + (fc === 1 ? '' : 's');
  }
  function renderEvents() {
    var ul = clear($('events'));
    if (!state.events.length) ul.appendChild(h('li', { class: 'empty', text: 'No events yet.' }));
    state.events.forEach(function (e) {
      ul.appendChild(
        h(
          'li',
          {
            class: 'ev',
            title: e.id,
            onclick: function () {
              setFilter({ eventId: e.id, functionId: '', status: '' });
            },
          },
          h('div', { class: 'ev-top' }, h('span', { class: 'ev-name', text: e.name }), h('span', { class: 'faint num' }, when(e.ts))),
          h('div', { class: 'ev-data', text: preview(e.data) }),
        ),
      );
    });
  }
  function renderDeadLetters(list) {
    $('dl-card').hidden = !list.length;
    var ul = clear($('dead-letters'));
    list.forEach(function (d) {
      ul.appendChild(
        h(
          'li',
          { class: 'dl' },
          h('div', { text: d.reason }),
          h('div', { class: 'faint' }, d.event ? [d.event.name, ' · '] : null, d.group, ' · ', when(d.at)),
        ),
      );
    });
  }
  function runRow(r) {
    return h(
      'tr',
      {
        'data-run-id': r.id,
        class: r.id === state.selected ? 'selected' : '',
        onclick: function () {
          select(r.id);
        },
      },
      h('td', { class: 'c-status' }, pill(r.status)),
      h(
        'td',
        { class: 'c-fnc' },
        h('div', { class: 'c-fn', title: r.functionId, text: r.functionId }),
        h(
          'div',
          // A tooltip is plain text, with no element to isolate the name in: first-strong isolate marks (U+2068…U+2069) do it.
          { class: 'c-sub', title: '\u2068' + r.eventName + '\u2069 · ' + r.id },
          h('span', { text: r.eventName }),
          ' · ',
          h('span', { class: 'c-id', text: short(r.id) }),
          r.replayOf ? h('span', { class: 'tag', text: 'replay' }) : null,
          r.parentRunId ? h('span', { class: 'tag', text: 'invoked' }) : null,
          r.failureOf ? h('span', { class: 'tag', text: 'on failure' }) : null,
        ),
      ),
      h('td', { class: 'c-attempt num', text: r.attempt }),
      h('td', { class: 'c-when num' }, when(r.createdAt)),
      h('td', {
        class: 'c-dur num',
        'data-dur-from': r.endedAt === undefined ? r.createdAt : null,
        text: r.status === 'pending' ? '' : dur(runDuration(r)),
      }),
    );
  }
  function renderRuns() {
    var tb = clear($('runs'));
    state.runs.forEach(function (r) {
      tb.appendChild(runRow(r));
    });
    var filtered = Boolean(state.filter.functionId || state.filter.status || state.filter.eventId || state.filter.q || state.filter.range);
    $('runs-empty').hidden = state.runs.length > 0 || filtered;
    $('runs-none').hidden = state.runs.length > 0 || !filtered;
    $('more-wrap').hidden = !state.nextCursor;
    var chip = clear($('f-event'));
    if (state.filter.eventId)
      chip.appendChild(
        h(
          'span',
          { class: 'chip' },
          'event ' + short(state.filter.eventId),
          h('button', {
            'aria-label': 'Clear event filter',
            text: '×',
            onclick: function () {
              setFilter({ eventId: '' });
            },
          }),
        ),
      );
  }
  /** True when a run that `change` announces belongs in the list as filtered (search text is only judged by the server). */
  function fits(change) {
    var f = state.filter;
    return (
      !f.q &&
      (!f.functionId || f.functionId === change.functionId) &&
      (!f.status || f.status === change.to) &&
      (!f.eventId || f.eventId === change.eventId)
    );
  }
  /** A new run's row from its first change, at once; the refresh that follows fills in what a change does not carry. */
  function insertRow(change) {
    // Only a run's first change (from pending) says it is new; an older run off this page is left to the refresh.
    if (change.from !== 'pending' || !fits(change)) return;
    var ev = state.events.find(function (e) {
      return e.id === change.eventId;
    });
    var r = {
      id: change.runId,
      functionId: change.functionId,
      eventId: change.eventId,
      eventName: ev ? ev.name : '',
      status: change.to,
      attempt: change.attempt,
      createdAt: change.at,
      updatedAt: change.at,
      stepCount: 0,
    };
    if (TERMINAL[change.to]) r.endedAt = change.at;
    state.runs.unshift(r);
    var row = runRow(r);
    row.classList.add('flash');
    $('runs').insertBefore(row, $('runs').firstChild);
    $('runs-empty').hidden = true;
    $('runs-none').hidden = true;
  }
  function patchRow(change) {
    var r = state.runs.find(function (x) {
      return x.id === change.runId;
    });
    if (!r) {
      insertRow(change);
      return false;
    }
    r.status = change.to;
    r.attempt = change.attempt;
    r.updatedAt = change.at;
    if (TERMINAL[change.to]) r.endedAt = change.at;
    var old = document.querySelector('tr[data-run-id="' + CSS.escape(r.id) + '"]');
    if (old) {
      var row = runRow(r);
      row.classList.add('flash');
      old.replaceWith(row);
    }
    return true;
  }

  /** A function's limits in a few words: 'concurrency 2 per key, 3 · throttle 10 per 1m'. */
  function limitsText(l) {
    var parts = [];
    if (l.concurrency)
      parts.push(
        'concurrency ' +
          l.concurrency
            .map(function (c) {
              return c.limit + (c.perKey ? ' per key' : '');
            })
            .join(', '),
      );
    if (l.throttle)
      parts.push(
        'throttle ' +
          l.throttle.limit +
          ' per ' +
          dur(l.throttle.periodMs) +
          (l.throttle.perKey ? ' per key' : '') +
          (l.throttle.burst ? ' (+' + l.throttle.burst + ' burst)' : ''),
      );
    if (l.priority) parts.push('by priority');
    return parts.join(' · ');
  }
  /** What a waiting run waits for: 'a slot of concurrency[0], key "acct_1"'. */
  function waitingText(w) {
    var what = w.limit === 'throttle' ? 'its turn under throttle' : 'a slot of ' + w.option;
    return what + (w.key !== undefined ? ', key "' + w.key + '"' : '');
  }
  // Fields of `waitingFor` that are times, shown as such; the others are shown as they are, whatever kind of wait adds them.
  var WAIT_TIMES = ['since', 'until', 'timeoutAt', 'expiresAt', 'at'];
  var WAIT_KINDS = ['limit', 'kind', 'type'];
  /**
   * What a run waits for, for any kind of wait: a limit's slot (flow control) in words, anything else
   * (an event, an invoked run, …) as its fields, with its deadline ('until') as a time.
   */
  function waitingFact(w) {
    if ((w.limit === 'concurrency' || w.limit === 'throttle') && w.option !== undefined)
      return h(
        'span',
        { 'data-waiting-for': '' },
        waitingText(w) + ', since ',
        when(w.since),
        w.until !== undefined ? [' · until ', when(w.until)] : null,
      );
    var kind = '';
    WAIT_KINDS.forEach(function (k) {
      if (!kind && typeof w[k] === 'string') kind = w[k];
    });
    var items = [];
    Object.keys(w).forEach(function (k) {
      var v = w[k];
      if (WAIT_KINDS.indexOf(k) >= 0 && v === kind) return;
      if (WAIT_TIMES.indexOf(k) >= 0 && typeof v === 'number')
        items.push(h('li', { 'data-wait-field': k }, h('span', { class: 'muted', text: k + ' ' }), when(v)));
      else if (v !== undefined && v !== null)
        items.push(
          h(
            'li',
            { 'data-wait-field': k },
            h('span', { class: 'muted', text: k + ' ' }),
            h('span', { text: typeof v === 'string' ? v : preview(v) }),
          ),
        );
    });
    return h('div', { 'data-waiting-for': '' }, kind ? h('strong', { text: kind }) : null, h('ul', { class: 'wait-list' }, items));
  }
  /** A button that opens another run (its id from the API: text, never a URL). */
  function runLink(id, label) {
    return h('button', {
      class: 'link',
      'data-run-link': id,
      text: label ? label + ' ' + short(id) : short(id),
      title: id,
      onclick: function () {
        select(id);
      },
    });
  }
  // Links between runs, where a record names another run: [field, label]. Fields absent on a record are not shown.
  var RUN_LINKS = [
    ['replayOf', 'Replay of'],
    ['replayedBy', 'Replayed by'],
    ['parentRunId', 'Invoked by'],
    ['failureOf', 'Failure handler of'],
    ['onFailureRunId', 'Failure handler'],
  ];
  // A step that started another run (step.invoke) names it under one of these.
  var STEP_RUN_FIELDS = ['childRunId', 'invokedRunId', 'runId'];
  function attemptsSection(r) {
    var list = r.attemptErrors || [];
    if (!list.length) return null;
    var ul = h('ul', { class: 'attempts', id: 'run-attempts' });
    list.forEach(function (a) {
      ul.appendChild(
        h(
          'li',
          { class: 'attempt', 'data-attempt': a.attempt },
          h('span', { class: 'a-n', text: 'Attempt ' + a.attempt }),
          h(
            'span',
            null,
            h('span', { class: 'a-e' }, h('strong', null, h('span', { text: a.name }), ': '), a.message),
            h('span', { class: 'a-t' }, when(a.at)),
          ),
        ),
      );
    });
    return h('div', { class: 'd-sec' }, h('h2', { text: list.length === 1 ? 'Failed attempt' : list.length + ' failed attempts' }), ul);
  }
  function fact(k, v) {
    return h('div', { class: 'fact' }, h('div', { class: 'k', text: k }), h('div', { class: 'v' }, v));
  }
  function renderDetail() {
    var r = state.detail,
      el = $('detail');
    if (!r) {
      el.hidden = true;
      $('layout').classList.remove('with-detail');
      return;
    }
    el.hidden = false;
    $('layout').classList.add('with-detail');
    var scroll = el.scrollTop;
    clear(el);
    var now = Date.now();
    var actions = h('div', { class: 'actions' });
    if (!TERMINAL[r.status])
      actions.appendChild(
        h('button', {
          class: 'btn small danger',
          id: 'cancel-run',
          text: 'Cancel run',
          onclick: function (ev) {
            armed(ev.currentTarget, 'Confirm cancel', function () {
              cancelRun(r.id);
            });
          },
        }),
      );
    if (TERMINAL[r.status])
      actions.appendChild(
        h('button', {
          class: 'btn small' + (r.status === 'failed' ? ' primary' : ''),
          id: 'replay-run',
          text: 'Replay this run',
          onclick: function () {
            replayRuns([r.id]);
          },
        }),
      );
    el.appendChild(
      h(
        'div',
        { class: 'd-head' },
        h(
          'div',
          { class: 'd-title' },
          pill(r.status),
          h('div', { class: 'd-fn', text: r.functionId }),
          h('div', { class: 'd-id', text: r.id }),
        ),
        h('button', {
          class: 'btn small',
          'aria-label': 'Close',
          text: '✕',
          onclick: function () {
            select(null);
          },
        }),
      ),
    );
    var facts = h(
      'div',
      { class: 'facts' },
      fact('Event', h('span', { title: r.eventId, text: r.event ? r.event.name : r.eventId })),
      fact('Attempt', String(r.attempt)),
      fact('Started', when(r.createdAt)),
      fact(
        'Duration',
        h('span', {
          'data-dur-from': r.endedAt === undefined ? r.createdAt : null,
          text: dur((r.endedAt || now) - r.createdAt) + (r.endedAt === undefined ? ' so far' : ''),
        }),
      ),
      r.waitingFor ? fact('Waiting for', waitingFact(r.waitingFor)) : null,
      r.nextAttemptAt
        ? fact(r.status === 'sleeping' ? 'Wakes' : r.status === 'waiting' ? 'Starts' : 'Next attempt', when(r.nextAttemptAt))
        : null,
      r.endedAt ? fact('Ended', when(r.endedAt)) : null,
      RUN_LINKS.filter(function (l) {
        return typeof r[l[0]] === 'string' && r[l[0]];
      }).map(function (l) {
        return fact(l[1], runLink(r[l[0]]));
      }),
    );
    el.appendChild(h('div', { class: 'd-sec' }, facts, actions));
    if (r.error) {
      el.appendChild(
        h(
          'div',
          { class: 'd-sec' },
          h('h2', { text: 'Error' }),
          h(
            'div',
            { class: 'errbox', id: 'run-error' },
            h('strong', null, h('span', { text: r.error.name }), ': '),
            r.error.message,
            r.error.stack ? h('details', null, h('summary', { text: 'Stack trace' }), h('pre', { text: r.error.stack })) : null,
          ),
        ),
      );
    }
    append(el, attemptsSection(r));
    el.appendChild(h('div', { class: 'd-sec' }, h('h2', { text: 'Steps' }), timeline(r, now)));
    var logs = h('div', { class: 'logs', id: 'run-logs' });
    if (!r.logs.length) logs.appendChild(h('div', { class: 'faint', text: 'No log lines.' }));
    r.logs.forEach(function (l) {
      logs.appendChild(
        h(
          'div',
          { class: 'log' },
          h('span', {
            class: 't',
            title: new Date(l.at).toLocaleString() + ' · attempt ' + l.attempt,
            text: '+' + dur(l.at - r.createdAt),
          }),
          h('span', { class: 'l ' + oneOf(l.level, LEVELS), text: l.level }),
          h(
            'span',
            null,
            h('span', { class: 'msg', text: l.message }),
            l.fields ? h('span', { class: 'f', text: ' ' + preview(l.fields) }) : null,
          ),
        ),
      );
    });
    if (r.logsDropped) logs.appendChild(h('div', { class: 'faint', text: r.logsDropped + ' more lines dropped' }));
    el.appendChild(h('div', { class: 'd-sec' }, h('h2', { text: 'Logs' }), logs));
    if (r.output !== undefined)
      el.appendChild(h('div', { class: 'd-sec' }, h('h2', { text: 'Output' }), h('pre', { id: 'run-output', text: pretty(r.output) })));
    if (r.event) el.appendChild(h('div', { class: 'd-sec' }, h('h2', { text: 'Event data' }), h('pre', { text: pretty(r.event.data) })));
    el.scrollTop = scroll;
  }
  function timeline(r, now) {
    var wrap = h('div', { id: 'run-steps' });
    if (!r.steps.length) {
      wrap.appendChild(h('div', { class: 'faint', text: TERMINAL[r.status] ? 'No steps.' : 'No steps yet.' }));
      return wrap;
    }
    var t0 = r.createdAt,
      t1 = r.endedAt || now;
    r.steps.forEach(function (s) {
      t1 = Math.max(t1, s.endedAt || s.startedAt, s.wakeAt && s.status === 'sleeping' ? Math.min(s.wakeAt, now) : 0);
    });
    var span = Math.max(1, t1 - t0);
    wrap.appendChild(h('div', { class: 'tl-axis' }, h('span', { text: '0' }), h('span', { text: dur(span) })));
    r.steps.forEach(function (s) {
      var end = s.endedAt !== undefined ? s.endedAt : s.status === 'sleeping' ? Math.min(s.wakeAt || now, now) : now;
      var bar = h('div', {
        class: 'bar ' + oneOf(s.status, STEP_STATUSES) + (s.endedAt === undefined ? ' open' : ''),
        title: s.status + ' · ' + dur(end - s.startedAt),
      });
      bar.style.left = ((100 * (s.startedAt - t0)) / span).toFixed(2) + '%';
      bar.style.width = Math.max(0.6, (100 * (end - s.startedAt)) / span).toFixed(2) + '%';
      var meta = [
        s.kind === 'run' ? '' : s.kind,
        s.endedAt !== undefined ? dur(s.endedAt - s.startedAt) : s.status,
        s.attempts > 1 ? s.attempts + ' attempts' : '',
      ]
        .filter(Boolean)
        .join(' · ');
      wrap.appendChild(
        h(
          'div',
          { class: 'step', 'data-step': s.id },
          h('div', { class: 'step-name' }, h('span', { class: 'n', title: s.id, text: s.id }), h('span', { class: 'm', text: meta })),
          h('div', { class: 'track' }, bar),
          s.error
            ? h('div', { class: 'step-err' }, s.status === 'failed' ? '✕ ' : '↻ ', h('span', { text: s.error.name }), ': ', s.error.message)
            : null,
          stepRun(s),
        ),
      );
    });
    return wrap;
  }

  function stepRun(s) {
    for (var i = 0; i < STEP_RUN_FIELDS.length; i++) {
      var id = s[STEP_RUN_FIELDS[i]];
      if (typeof id === 'string' && id) return h('div', { class: 'step-link' }, '→ ', runLink(id, 'run'));
    }
    return null;
  }
  function armed(btn, label, fn) {
    if (btn.classList.contains('armed')) {
      fn();
      return;
    }
    var text = btn.textContent;
    btn.classList.add('armed');
    btn.textContent = label;
    setTimeout(function () {
      btn.classList.remove('armed');
      btn.textContent = text;
    }, 3000);
  }

  // ---- the URL: it names the filters and the selected run, so a link opens the same view and back/forward move between views ----
  var URL_KEYS = { functionId: 'function', status: 'status', eventId: 'event', q: 'q', range: 'range' };
  function urlOf() {
    var p = new URLSearchParams();
    for (var k in URL_KEYS) if (state.filter[k]) p.set(URL_KEYS[k], state.filter[k]);
    if (state.selected) p.set('run', state.selected);
    var qs = p.toString();
    return location.pathname + (qs ? '?' + qs : '');
  }
  /** Records the view in the browser's history (a new entry, or the current one replaced). */
  function remember(replace) {
    var next = urlOf();
    if (next === location.pathname + location.search) return;
    if (replace) history.replaceState(null, '', next);
    else history.pushState(null, '', next);
  }
  /** The view the URL names; values outside the known ones are dropped rather than sent on. */
  function readUrl() {
    var p = new URLSearchParams(location.search);
    for (var k in URL_KEYS) state.filter[k] = p.get(URL_KEYS[k]) || '';
    if (state.filter.status && STATUSES.indexOf(state.filter.status) < 0) state.filter.status = '';
    if (state.filter.range && !RANGES[state.filter.range]) state.filter.range = '';
    state.selected = p.get('run') || null;
    state.detail = null;
    showFilter();
  }
  function showFilter() {
    $('f-function').value = state.filter.functionId;
    $('f-status').value = state.filter.status;
    $('f-range').value = state.filter.range;
    if (document.activeElement !== $('f-q')) $('f-q').value = state.filter.q;
  }
  window.addEventListener('popstate', function () {
    readUrl();
    renderFunctions();
    renderDetail();
    Promise.all([loadRuns(true), loadStats(), loadDetail()]).catch(report);
  });

  // ---- actions ----
  function select(id) {
    state.selected = id;
    state.detail = null;
    remember();
    document.querySelectorAll('#runs tr').forEach(function (tr) {
      tr.classList.toggle('selected', tr.getAttribute('data-run-id') === id);
    });
    if (!id) {
      renderDetail();
      return;
    }
    loadDetail().catch(report);
  }
  function setFilter(patch, replace) {
    var rangeChanged = patch.range !== undefined && patch.range !== state.filter.range;
    Object.assign(state.filter, patch);
    showFilter();
    remember(replace);
    renderFunctions();
    loadRuns(true).catch(report);
    if (rangeChanged) loadStats().catch(report);
  }
  function replayRuns(ids) {
    api('/replay', { method: 'POST', body: { runIds: ids } })
      .then(function (b) {
        toast('Replaying: new run ' + short(b.ids[0]));
        scheduleRefresh();
      })
      .catch(report);
  }
  function replayFailed(fnId) {
    api('/replay', { method: 'POST', body: { functionId: fnId, status: 'failed' } })
      .then(function (b) {
        toast(
          b.ids.length
            ? 'Replaying ' + b.ids.length + ' failed run' + (b.ids.length === 1 ? '' : 's') + ' of ' + fnId
            : 'No failed runs to replay',
        );
        scheduleRefresh();
      })
      .catch(report);
  }
  function cancelRun(id) {
    api('/runs/' + encodeURIComponent(id) + '/cancel', { method: 'POST', body: {} })
      .then(function () {
        toast('Run cancelled');
        scheduleRefresh();
        scheduleDetail();
      })
      .catch(report);
  }
  $('f-function').addEventListener('change', function (e) {
    setFilter({ functionId: e.target.value });
  });
  $('f-status').addEventListener('change', function (e) {
    setFilter({ status: e.target.value });
  });
  $('f-range').addEventListener('change', function (e) {
    setFilter({ range: e.target.value });
  });
  // Typing searches after a pause, as one history entry; Enter searches at once.
  var searchTimer = null,
    typing = false;
  function search(replace) {
    clearTimeout(searchTimer);
    var q = $('f-q').value.trim();
    if (q !== state.filter.q) setFilter({ q: q }, replace);
    typing = false;
  }
  $('f-q').addEventListener('input', function () {
    clearTimeout(searchTimer);
    var replace = typing;
    typing = true;
    searchTimer = setTimeout(function () {
      search(replace);
    }, 250);
  });
  $('f-q').addEventListener('keydown', function (e) {
    if (e.key === 'Enter') search(false);
  });

  // ---- send an event ----
  function showSendError(message, issues) {
    var box = clear($('send-error'));
    box.hidden = !message;
    if (!message) return;
    box.appendChild(h('span', { text: message }));
    if (issues && issues.length)
      box.appendChild(
        h(
          'ul',
          null,
          issues.map(function (i) {
            return h(
              'li',
              { 'data-issue': '' },
              i.path && i.path.length ? h('strong', { class: 'mono', text: i.path.join('.') + ': ' }) : null,
              i.message,
            );
          }),
        ),
      );
  }
  $('send-open').addEventListener('click', function () {
    var names = clear($('send-names')),
      seen = {};
    state.functions.forEach(function (f) {
      if (f.trigger && !seen[f.trigger]) {
        seen[f.trigger] = 1;
        names.appendChild(h('option', { value: f.trigger }));
      }
    });
    showSendError('');
    $('send').showModal();
    $('send-name').focus();
  });
  $('send-cancel').addEventListener('click', function () {
    $('send').close();
  });
  $('send-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var name = $('send-name').value.trim(),
      text = $('send-data').value.trim(),
      data;
    try {
      data = text ? JSON.parse(text) : {};
    } catch (e) {
      showSendError('Data is not valid JSON: ' + e.message);
      return;
    }
    $('send-submit').disabled = true;
    api('/events', { method: 'POST', body: { name: name, data: data } })
      .then(function (b) {
        $('send').close();
        toast('Sent ' + name + ' · event ' + short(b.ids[0]));
        // Show what it started: its runs appear as they are created.
        setFilter({ eventId: b.ids[0], functionId: '', status: '', q: '' });
      })
      .catch(function (e) {
        if (e instanceof Unauthorized) $('send').close();
        else showSendError(e.message, e.detail && e.detail.issues);
      })
      .then(function () {
        $('send-submit').disabled = false;
      });
  });
  $('more').addEventListener('click', loadMore);
  $('replay-failed').addEventListener('click', function () {
    if (state.filter.functionId) replayFailed(state.filter.functionId);
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && state.selected && !$('login').open && !$('send').open) select(null);
  });

  // ---- live updates: fetch-based SSE so the token goes in a header ----
  function setLive(on, text) {
    $('live').className = 'live' + (on ? ' on' : '');
    $('live-text').textContent = text || (on ? 'live' : 'reconnecting');
  }
  function onChange(c) {
    patchRow(c);
    scheduleRefresh();
    scheduleStats();
    if (c.runId === state.selected) scheduleDetail();
  }
  function onFrame(frame) {
    var event = 'message',
      data = '',
      id = null;
    frame.split('\n').forEach(function (line) {
      if (!line || line.charAt(0) === ':') return;
      var i = line.indexOf(':'),
        field = i < 0 ? line : line.slice(0, i),
        v = i < 0 ? '' : line.slice(i + 1);
      if (v.charAt(0) === ' ') v = v.slice(1);
      if (field === 'event') event = v;
      else if (field === 'data') data += (data ? '\n' : '') + v;
      else if (field === 'id') id = v;
    });
    if (id !== null) state.lastEventId = id;
    if (event === 'run') {
      try {
        onChange(JSON.parse(data));
      } catch {
        /* ignore a malformed frame */
      }
    } else if (event === 'reset') loadAll().catch(report);
  }
  function connect() {
    if (state.stream) state.stream.abort();
    var ctrl = new AbortController();
    state.stream = ctrl;
    var headers = { accept: 'text/event-stream' };
    if (token) headers.authorization = 'Bearer ' + token;
    if (state.lastEventId !== null) headers['last-event-id'] = state.lastEventId;
    fetch(base + '/stream', { headers: headers, signal: ctrl.signal, cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401) {
          setLive(false, 'signed out');
          askToken();
          return 'stop';
        }
        if (!res.ok || !res.body) throw new Error('stream answered ' + res.status);
        setLive(true);
        var reader = res.body.pipeThrough(new TextDecoderStream()).getReader(),
          buf = '';
        function pump() {
          return reader.read().then(function (x) {
            if (x.done) return;
            buf += x.value;
            var i;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              onFrame(buf.slice(0, i));
              buf = buf.slice(i + 2);
            }
            return pump();
          });
        }
        return pump();
      })
      .catch(function () {
        return null;
      })
      .then(function (r) {
        if (ctrl.signal.aborted || r === 'stop') return;
        setLive(false);
        setTimeout(function () {
          if (state.stream === ctrl) connect();
        }, 1500);
      });
  }

  setInterval(function () {
    document.querySelectorAll('[data-ago]').forEach(function (el) {
      el.textContent = ago(Number(el.getAttribute('data-ago')));
    });
    document.querySelectorAll('[data-dur-from]').forEach(function (el) {
      var from = Number(el.getAttribute('data-dur-from'));
      el.textContent = dur(Date.now() - from) + (el.closest('.fact') ? ' so far' : '');
    });
  }, 1000);

  // Events that start no run, and dead letters, announce nothing on /stream: they are looked for every few seconds while the tab is shown.
  var QUIET_POLL_MS = 3000;
  setInterval(function () {
    if (document.visibilityState === 'visible' && !$('login').open) Promise.all([loadEvents(), loadDeadLetters()]).catch(report);
  }, QUIET_POLL_MS);

  function restart() {
    connect();
    loadAll().catch(report);
  }
  readUrl();
  restart();
})();
