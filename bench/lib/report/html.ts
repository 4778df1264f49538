/**
 * @module
 * The self-contained HTML page of a run: goals, charts, the terminal tables
 * and the raw JSON.
 */
import { isSkipped, type Results } from '../results.js';
import { fmtRate, fmtUs, tick, type Rounds } from '../stats.js';
import { barChart, latencyChart, palette } from './charts.js';
import { esc } from './format.js';
import { renderText } from './text.js';

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
