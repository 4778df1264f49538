/**
 * @module
 * Renders a run's results: the terminal tables, and a self-contained HTML
 * page with inline SVG charts (latency distribution of the signup
 * endpoints, throughput against BullMQ, send() cost) plus the raw JSON.
 */
import type { SignupRow } from './signup.js';
import { curvePercentiles } from './signup.js';
import { isSkipped, ratioRounds, type LatencyRow, type Results } from './results.js';
import { fmtBytes, fmtMs, fmtPct, fmtRate, fmtRatio, fmtRounds, fmtUs, table, tick, type Rounds } from './stats.js';

const variantLabel = (v: string) => (v === 'none' ? '–' : v === 'bullmq' ? 'BullMQ' : v);

// ── terminal ───────────────────────────────────────────────────────────

export function renderText(r: Results): string {
  const out: string[] = [];
  const roundsNote = (n: number) => (n > 1 ? `median (min–max) of ${n} rounds` : 'one round');
  out.push(
    `eventide benchmarks — ${r.mode} · node ${r.machine.node} · ${r.machine.cpus} cpus · load ${r.machine.loadavgAtStart.map((l) => l.toFixed(1)).join(' ')} at start · ${r.seconds.toFixed(0)} s`,
  );
  out.push(
    `transports: ${(['memory', 'nats', 'redis', 'bullmq'] as const)
      .map((k) => (r.transports[k].ok ? `${k} ✓` : `${k} skipped (${r.transports[k].reason})`))
      .join(' · ')}`,
  );

  const { signup, send, throughput, memory } = r.sections;
  out.push('');
  if (isSkipped(signup)) out.push(`1. Signup over HTTP — skipped: ${signup.skipped}`);
  else {
    const o = signup.options;
    const l = o.thirdParty.latency;
    out.push(
      `1. Signup over HTTP — autocannon ${o.durationS} s per load, ${roundsNote(o.rounds)}; third party ${l.minMs}–${l.maxMs} ms (median ${l.medianMs}), ${fmtPct(o.thirdParty.failRate)} failures; background concurrency ${o.concurrency}, ${o.retries} retries`,
    );
    const baseline = (c: number) => signup.rows.find((x) => x.endpoint === 'baseline' && x.connections === c);
    const sync = (c: number) => signup.rows.find((x) => x.endpoint === 'sync' && x.connections === c);
    const rows: string[][] = [
      [
        'endpoint',
        'transport',
        'conns',
        'req/s',
        'p50',
        'p90',
        'p99',
        'max',
        'non-2xx',
        'in-handler',
        'loop p99',
        '÷ baseline',
        'sync ÷',
        'entries/accepted t/e/n',
        'lost',
        'partial',
      ],
    ];
    for (const row of signup.rows) {
      const isAsync = row.endpoint === 'async';
      const perAcc =
        row.endpoint === 'baseline' || !row.perAccepted
          ? ''
          : [row.perAccepted.trial, row.perAccepted.email, row.perAccepted.newsletter]
              .map((v) => (Number.isFinite(v) ? v.toFixed(3) : '–'))
              .join(' / ');
      rows.push([
        row.endpoint,
        variantLabel(row.variant),
        String(row.connections),
        fmtRounds(row.reqPerSec, (v) => fmtRate(v, '')),
        fmtRounds(row.p50, fmtMs),
        fmtMs(row.p90.median),
        fmtMs(row.p99.median),
        fmtMs(row.max.median),
        fmtPct(row.non2xxShare),
        row.endpoint === 'sync' ? '' : fmtUs(row.criticalP50Us),
        fmtMs(row.loopDelayP99Ms),
        isAsync ? fmtRatio(row.p50.median / (baseline(row.connections)?.p50.median ?? Number.NaN)) : '',
        isAsync ? fmtRatio((sync(row.connections)?.p50.median ?? Number.NaN) / row.p50.median) : '',
        perAcc,
        row.endpoint === 'baseline' ? '' : `${row.lost}${row.settled ? '' : ' (unsettled)'}`,
        row.endpoint === 'baseline' ? '' : String(row.partial),
      ]);
    }
    out.push(table(rows, { alignLeft: 3 }));
    out.push(
      '   in-handler: p50 of the endpoint’s own critical path (create; async: create + send, or the 3 BullMQ adds). loop p99: event-loop delay',
    );
    out.push(
      '   of the service during the load. ÷ baseline: async p50 ÷ p50 of the same endpoint doing only the critical path (create, answer).',
    );
    out.push('   sync ÷: sync p50 ÷ async p50. lost: accepted signups missing an entry at the third party once background work settled.');
    out.push('   partial: signups whose third-party entries stopped midway (sync: a call failed and the request answered 502).');
    for (const s of signup.skipped) out.push(`   skipped ${s.variant}: ${s.reason}`);
  }

  out.push('');
  if (isSkipped(send)) out.push(`2. send() critical path — skipped: ${send.skipped}`);
  else {
    const n = send.rows[0]?.us.raw?.values.length ?? 0;
    out.push(
      `2. send() critical path — µs per call: benchmark.js mean, and p50 / p99 of a sequential timed loop; ${roundsNote(n)}; ratios per round, same process`,
    );
    const rows: string[][] = [
      ['transport', 'operation', 'benchmark.js', 'loop p50', 'loop p99', 'send ÷ this (benchmark.js)', 'send ÷ this (p50)'],
    ];
    for (const row of send.rows) {
      for (const key of ['send', 'raw', 'bullmqAdd', 'bullmqAdd3']) {
        if (!row.us[key]) continue;
        const vsMean = key === 'send' ? undefined : ratioRounds(row.us.send, row.us[key]);
        const vsP50 = key === 'send' ? undefined : ratioRounds(row.loopP50Us.send, row.loopP50Us[key]);
        rows.push([
          key === 'send' || !row.us.send ? row.transport : '',
          key === 'send' ? 'runtime.send()' : (row.names[key] ?? key),
          fmtRounds(row.us[key], fmtUs),
          fmtRounds(row.loopP50Us[key], fmtUs),
          fmtUs(row.loopP99Us[key]?.median),
          fmtRounds(vsMean, fmtRatio),
          fmtRounds(vsP50, fmtRatio),
        ]);
      }
    }
    out.push(table(rows, { alignLeft: 2 }));
    out.push(
      '   memory: producer-only runtime whose events a bare consumer acks at once; nats/redis: producer-only runtime (worker: false).',
    );
    for (const s of send.skipped) out.push(`   skipped ${s}`);
  }

  out.push('');
  if (isSkipped(throughput)) out.push(`3. Background runs — skipped: ${throughput.skipped}`);
  else {
    const n = throughput.rows[0]?.oneStepRunsPerSec.values.length ?? throughput.bullmq[0]?.jobsPerSec.values.length ?? 0;
    out.push(
      `3. Background runs — runs/s from first send to last success, ${roundsNote(n)}, default concurrency (100 per function); one process per round`,
    );
    const lat = (t: string) => throughput.latency.find((l) => l.transport === t);
    const rows: string[][] = [['worker', 'one-step runs/s', '3-fn fan-out runs/s', 'start p50', 'start p99', 'peak RSS', 'Redis CPU/run']];
    const cpu = (r: Rounds | undefined) => (r ? fmtUs(r.median) : '');
    const floorRow = (f: LatencyRow | undefined, transport: string, raw?: Rounds, rawCpu?: Rounds) => [
      `${transport} raw floor`,
      raw ? fmtRounds(raw, (v) => fmtRate(v, '')) : '',
      '',
      fmtUs(f?.p50Us),
      fmtUs(f?.p99Us),
      '',
      cpu(rawCpu),
    ];
    for (const row of throughput.rows) {
      const l = lat(row.transport);
      rows.push([
        row.transport,
        fmtRounds(row.oneStepRunsPerSec, (v) => fmtRate(v, '')),
        fmtRounds(row.fanoutRunsPerSec, (v) => fmtRate(v, '')),
        fmtUs(l?.p50Us),
        fmtUs(l?.p99Us),
        fmtBytes(row.peakRssBytes),
        cpu(row.redisCpuUsPerRun),
      ]);
      const floor = throughput.rawFloor.find((f) => f.transport === row.transport);
      if (floor || row.rawOneStepRunsPerSec) rows.push(floorRow(floor, row.transport, row.rawOneStepRunsPerSec, row.rawRedisCpuUsPerRun));
    }
    // A floor still shows when its transport's throughput cases failed.
    for (const f of throughput.rawFloor)
      if (!throughput.rows.some((row) => row.transport === f.transport)) rows.push(floorRow(f, f.transport));
    for (const row of throughput.bullmq) {
      const l = row.concurrency === 1 ? lat('bullmq') : undefined;
      rows.push([
        `BullMQ c=${row.concurrency}`,
        fmtRounds(row.jobsPerSec, (v) => fmtRate(v, '')),
        '',
        l ? fmtUs(l.p50Us) : '',
        l ? fmtUs(l.p99Us) : '',
        fmtBytes(row.peakRssBytes),
        cpu(row.redisCpuUsPerJob),
      ]);
    }
    out.push(table(rows, { alignLeft: 1 }));
    out.push(
      '   start: event → function start at low load (one event at a time; timestamp in the event vs handler start), including send().',
    );
    out.push(
      "   Redis CPU/run: the Redis server's own CPU (INFO cpu) over the timed one-step pass, per run (BullMQ: per job), median of rounds.",
    );
    if (throughput.rawFloor.length || throughput.rows.some((row) => row.rawOneStepRunsPerSec)) {
      out.push(
        '   raw floor: the raw client in the same run, same protocol, no eventide code. runs/s: per event the server calls a one-step run makes',
      );
      out.push('   (nats.js: js.publish, pull, KV create, KV update, +ACK; ioredis: XADD, XREADGROUP, HSET, HSET + XACK, pipelined);');
      out.push(
        '   start: publish → receive (nats.js js.publish → pull consumer; ioredis XADD → XREADGROUP), each ack confirmed before the next publish.',
      );
    }
    for (const s of throughput.skipped) out.push(`   skipped ${s}`);
  }

  out.push('');
  if (isSkipped(memory)) out.push(`4. Memory — skipped: ${memory.skipped}`);
  else {
    out.push(
      `4. Memory — ${memory.runs.toLocaleString('en')} runs sleeping in step.sleep('nap', '1h') on memory, after a full GC, per run`,
    );
    out.push(
      table(
        [
          ['figure', 'value'],
          ['JS heap per waiting run', fmtRounds(memory.heapPerRunBytes, fmtBytes)],
          ['buffers outside the heap per run', fmtRounds(memory.buffersPerRunBytes, fmtBytes)],
          ['RSS growth per run', fmtRounds(memory.rssPerRunBytes, fmtBytes)],
          ['stored record of one sleeping run', fmtBytes(memory.recordBytes)],
          ['peak RSS of that process', fmtBytes(memory.peakRssBytes)],
        ],
        { alignLeft: 1 },
      ),
    );
  }

  out.push('');
  out.push('Goals');
  for (const g of r.goals) out.push(`  ${tick(g.pass ?? undefined)} ${g.text}: ${g.detail}`);
  if (r.errors.length) {
    out.push('');
    out.push('Errors');
    for (const e of r.errors) out.push(`  ${e}`);
  }
  return out.join('\n');
}

// ── HTML ───────────────────────────────────────────────────────────────

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
const palette: Record<string, string> = {
  baseline: '#8a8f98',
  sync: '#d1453b',
  memory: '#2f7ed8',
  nats: '#27a243',
  redis: '#c9302c',
  bullmq: '#9b59b6',
};
const colourOf = (row: SignupRow) => (row.endpoint === 'async' ? (palette[row.variant] ?? '#333') : palette[row.endpoint]);

function latencyChart(rows: SignupRow[], connections: number): string {
  const series = rows.filter((r) => r.connections === connections);
  const curves = series.map((r) => {
    const pooled = r.rounds.map((x) => x.curve);
    // Median over rounds at each percentile.
    const curve = curvePercentiles.map((_, i) => {
      const vals = pooled.map((c) => c[i]).sort((a, b) => a - b);
      return vals[vals.length >> 1];
    });
    return { row: r, curve };
  });
  const all = curves.flatMap((c) => c.curve).filter((v) => Number.isFinite(v) && v > 0);
  if (all.length === 0) return '';
  const W = 800;
  const H = 340;
  const m = { l: 64, r: 230, t: 28, b: 40 };
  const lo = Math.log10(Math.min(...all) / 1.3);
  const hi = Math.log10(Math.max(...all) * 1.3);
  const xAt = (i: number) => m.l + (i * (W - m.l - m.r)) / (curvePercentiles.length - 1);
  const yAt = (v: number) => m.t + (H - m.t - m.b) * (1 - (Math.log10(Math.max(v, 1e-3)) - lo) / (hi - lo));
  const parts: string[] = [];
  parts.push(`<text x="${m.l}" y="18" class="title">Latency distribution, ${connections} connections (log scale)</text>`);
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) {
    const v = 10 ** e;
    const y = yAt(v);
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" class="grid"/><text x="${m.l - 6}" y="${y + 4}" text-anchor="end">${esc(fmtMs(v))}</text>`,
    );
  }
  curvePercentiles.forEach((p, i) => {
    const label = p === 0 ? 'min' : p === 100 ? 'max' : `p${p}`;
    parts.push(`<text x="${xAt(i)}" y="${H - m.b + 16}" text-anchor="middle">${label}</text>`);
  });
  curves.forEach(({ row, curve }, k) => {
    const pts = curve.map((v, i) => (Number.isFinite(v) ? `${xAt(i).toFixed(1)},${yAt(v).toFixed(1)}` : '')).filter(Boolean);
    const colour = colourOf(row);
    const dash = row.endpoint === 'async' ? '' : row.endpoint === 'sync' ? ' stroke-dasharray="6 3"' : ' stroke-dasharray="2 3"';
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2"${dash} points="${pts.join(' ')}"/>`);
    const label = row.endpoint === 'async' ? `async · ${variantLabel(row.variant)}` : row.endpoint;
    parts.push(
      `<line x1="${W - m.r + 12}" x2="${W - m.r + 36}" y1="${m.t + 8 + k * 18}" y2="${m.t + 8 + k * 18}" stroke="${colour}" stroke-width="2"${dash}/>`,
    );
    parts.push(`<text x="${W - m.r + 42}" y="${m.t + 12 + k * 18}">${esc(label)}: p50 ${esc(fmtMs(row.p50.median))}</text>`);
  });
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

function barChart(title: string, bars: { label: string; value: number; colour: string; text: string }[]): string {
  const shown = bars.filter((b) => Number.isFinite(b.value) && b.value > 0);
  if (shown.length === 0) return '';
  const W = 800;
  const rowH = 24;
  const m = { l: 290, r: 110, t: 30 };
  const H = m.t + shown.length * rowH + 10;
  const max = Math.max(...shown.map((b) => b.value));
  const parts = [`<text x="8" y="18" class="title">${esc(title)}</text>`];
  shown.forEach((b, i) => {
    const y = m.t + i * rowH;
    const w = ((W - m.l - m.r) * b.value) / max;
    parts.push(`<text x="${m.l - 8}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`);
    parts.push(`<rect x="${m.l}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${b.colour}"/>`);
    parts.push(`<text x="${(m.l + w + 6).toFixed(1)}" y="${y + 15}">${esc(b.text)}</text>`);
  });
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

export function renderHtml(r: Results): string {
  const charts: string[] = [];
  const { signup, send, throughput } = r.sections;
  if (!isSkipped(signup)) {
    for (const c of [...new Set(signup.rows.map((x) => x.connections))]) charts.push(latencyChart(signup.rows, c));
  }
  if (!isSkipped(throughput)) {
    const bars: { label: string; value: number; colour: string; text: string }[] = [];
    const med = (x: Rounds) => x.median;
    for (const row of throughput.rows) {
      bars.push({
        label: `${row.transport} · one-step`,
        value: med(row.oneStepRunsPerSec),
        colour: palette[row.transport] ?? '#333',
        text: fmtRate(med(row.oneStepRunsPerSec), ' runs/s'),
      });
      bars.push({
        label: `${row.transport} · 3-fn fan-out`,
        value: med(row.fanoutRunsPerSec),
        colour: palette[row.transport] ?? '#333',
        text: fmtRate(med(row.fanoutRunsPerSec), ' runs/s'),
      });
    }
    for (const row of throughput.bullmq)
      bars.push({
        label: `BullMQ · concurrency ${row.concurrency}`,
        value: med(row.jobsPerSec),
        colour: palette.bullmq,
        text: fmtRate(med(row.jobsPerSec), ' jobs/s'),
      });
    charts.push(barChart('Background runs per second vs BullMQ (no-op work, same machine)', bars));
  }
  if (!isSkipped(send)) {
    const bars: { label: string; value: number; colour: string; text: string }[] = [];
    for (const row of send.rows) {
      for (const [k, v] of Object.entries(row.loopP50Us)) {
        if (k === 'sendWithRun') continue;
        const label = k === 'send' ? `${row.transport} · runtime.send()` : `${row.transport} · ${row.names[k] ?? k}`;
        bars.push({
          label,
          value: v.median,
          colour: k === 'send' ? (palette[row.transport] ?? '#333') : k.startsWith('bullmq') ? palette.bullmq : '#8a8f98',
          text: fmtUs(v.median),
        });
      }
    }
    charts.push(barChart('Critical-path cost per call: p50 of a sequential loop (lower is better)', bars));
  }
  const goals = r.goals
    .map(
      (g) =>
        `<li class="${g.pass === null ? 'na' : g.pass ? 'ok' : 'ko'}">${tick(g.pass ?? undefined)} ${esc(g.text)}: ${esc(g.detail)}</li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>eventide benchmarks · ${esc(r.startedAt)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
svg{display:block;margin:18px 0;background:#fafafa;border:1px solid #eee;max-width:100%;height:auto}
svg text{font:11px system-ui,sans-serif;fill:#333} svg .title{font-size:13px;font-weight:600}
svg .grid{stroke:#e3e3e3}
pre{background:#f6f6f6;padding:12px;overflow:auto;font-size:12px}
li.ok{color:#1a7f37} li.ko{color:#c62828} li.na{color:#777}
details{margin-top:16px}
</style></head><body>
<h1>eventide benchmarks</h1>
<p>${esc(r.mode)} run · ${esc(r.startedAt)} · node ${esc(r.machine.node)} · ${r.machine.cpus} × ${esc(r.machine.cpuModel)} · ${r.seconds.toFixed(0)} s</p>
<h2>Goals</h2><ul>${goals}</ul>
${charts.join('\n')}
<h2>Tables</h2>
<pre>${esc(renderText(r))}</pre>
<details><summary>Raw results (JSON)</summary><pre>${esc(JSON.stringify(r, null, 2))}</pre></details>
</body></html>
`;
}
