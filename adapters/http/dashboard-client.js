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
  var LEVELS = ['debug', 'info', 'warn', 'error'];
  // No URL, style, srcdoc or on* attribute: a value from the API in one of those could load or run something.
  var SAFE_ATTRIBUTE = /^(id|class|title|value|type|aria-label|data-[a-z-]+)$/;
  var state = {
    functions: [],
    runs: [],
    overview: [],
    events: [],
    filter: { functionId: '', status: '', eventId: '' },
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
        askToken();
        throw new Unauthorized();
      }
      return res
        .json()
        .catch(function () {
          return {};
        })
        .then(function (body) {
          if (!res.ok) throw new Error((body && body.error && body.error.message) || 'HTTP ' + res.status);
          return body;
        });
    });
  }
  function report(e) {
    if (!(e instanceof Unauthorized)) toast(e && e.message ? e.message : String(e), true);
  }

  function askToken() {
    var d = $('login');
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
  function query() {
    var q = new URLSearchParams();
    if (state.filter.functionId) q.set('functionId', state.filter.functionId);
    if (state.filter.status) q.set('status', state.filter.status);
    if (state.filter.eventId) q.set('eventId', state.filter.eventId);
    q.set('limit', '50');
    return q;
  }
  function loadRuns() {
    return api('/runs?' + query()).then(function (b) {
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
  function loadOverview() {
    return api('/runs?limit=500').then(function (b) {
      state.overview = b.runs;
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
    return Promise.all([loadFunctions(), loadRuns(), loadOverview(), loadEvents(), loadDeadLetters(), loadDetail()]);
  }

  var refreshTimer = null,
    detailTimer = null;
  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      Promise.all([loadRuns(), loadOverview(), loadEvents()]).catch(report);
    }, 800);
  }
  function scheduleDetail() {
    if (detailTimer) return;
    detailTimer = setTimeout(function () {
      detailTimer = null;
      loadDetail().catch(report);
    }, 150);
  }

  // ---- render ----
  function countsFor(fnId) {
    var c = {};
    state.overview.forEach(function (r) {
      // A failed run already replayed is counted apart: "Replay N failed" offers only the others.
      var s = r.status === 'failed' && r.replayedBy ? 'replayed' : r.status;
      if (r.functionId === fnId) c[s] = (c[s] || 0) + 1;
    });
    return c;
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
      var c = countsFor(f.id);
      var counts = h(
        'div',
        { class: 'counts' },
        STATUSES.filter(function (s) {
          return c[s];
        })
          .map(function (s) {
            return h('span', { class: 'count s-' + s, title: s, text: c[s] + ' ' + s });
          })
          .concat(
            c.replayed ? [h('span', { class: 'count s-cancelled', title: 'failed, then replayed', text: c.replayed + ' replayed' })] : [],
          ),
      );
      var replay = c.failed
        ? h('button', {
            class: 'btn small danger',
            'data-replay': f.id,
            text: 'Replay ' + c.failed + ' failed',
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
                f.waiting ? h('span', { class: 'count s-waiting', text: f.waiting + ' waiting for a limit' }) : null,
                f.nextTick ? h('span', { class: 'faint', 'data-next-tick': f.id }, '· next tick ', when(f.nextTick)) : null,
              ),
          h('div', { class: 'counts' }, counts.childNodes.length ? counts : h('span', { class: 'faint', text: 'no runs' }), replay),
        ),
      );
    });
    var rf = $('replay-failed'),
      fc = state.filter.functionId ? countsFor(state.filter.functionId).failed : 0;
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
    $('runs-empty').hidden = state.runs.length > 0;
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
  function patchRow(change) {
    var r = state.runs.find(function (x) {
      return x.id === change.runId;
    });
    if (!r) return false;
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
      r.waitingFor
        ? fact('Waiting for', h('span', { 'data-waiting-for': '' }, waitingText(r.waitingFor) + ', since ', when(r.waitingFor.since)))
        : null,
      r.nextAttemptAt
        ? fact(r.status === 'sleeping' ? 'Wakes' : r.status === 'waiting' ? 'Starts' : 'Next attempt', when(r.nextAttemptAt))
        : null,
      r.endedAt ? fact('Ended', when(r.endedAt)) : null,
      r.replayOf
        ? fact(
            'Replay of',
            h('button', {
              class: 'link',
              text: short(r.replayOf),
              title: r.replayOf,
              onclick: function () {
                select(r.replayOf);
              },
            }),
          )
        : null,
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
        ),
      );
    });
    return wrap;
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

  // ---- actions ----
  function select(id) {
    state.selected = id;
    state.detail = null;
    document.querySelectorAll('#runs tr').forEach(function (tr) {
      tr.classList.toggle('selected', tr.getAttribute('data-run-id') === id);
    });
    if (!id) {
      renderDetail();
      return;
    }
    loadDetail().catch(report);
  }
  function setFilter(patch) {
    Object.assign(state.filter, patch);
    $('f-function').value = state.filter.functionId;
    $('f-status').value = state.filter.status;
    renderFunctions();
    loadRuns().catch(report);
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
  $('more').addEventListener('click', loadMore);
  $('replay-failed').addEventListener('click', function () {
    if (state.filter.functionId) replayFailed(state.filter.functionId);
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && state.selected && !$('login').open) select(null);
  });

  // ---- live updates: fetch-based SSE so the token goes in a header ----
  function setLive(on, text) {
    $('live').className = 'live' + (on ? ' on' : '');
    $('live-text').textContent = text || (on ? 'live' : 'reconnecting');
  }
  function onChange(c) {
    patchRow(c);
    scheduleRefresh();
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

  function restart() {
    connect();
    loadAll().catch(report);
  }
  restart();
})();
