/**
 * @module
 * The soak's chart as a standalone SVG: one panel per transport, heap and RSS (MB, left axis) and
 * runs/s (right axis) against time since the first send.
 */
import type { SoakResult } from '../soak.js';

const W = 820;
const PANEL_H = 230;
const M = { l: 62, r: 80, t: 46, b: 38 };
const colours = { heap: '#2f7ed8', rss: '#e67e22', rate: '#7f8c8d' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round step for about `n` ticks up to `max`. */
function tickStep(max: number, n = 5): number {
  const raw = max / n;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 2.5, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? raw;
}

function ticks(max: number): number[] {
  const step = tickStep(max);
  const out: number[] = [];
  // The last tick is at or past `max`, so the axis holds every point.
  for (let v = 0; out.length === 0 || out.at(-1)! < max - 1e-9; v += step) out.push(Math.round(v * 100) / 100);
  return out;
}

function panel(r: SoakResult, top: number): string {
  const s = r.samples;
  const x1 = W - M.r;
  const y0 = top + PANEL_H - M.b;
  const y1 = top + M.t;
  const tMax = Math.max(1, s.at(-1)?.t ?? 1) / 1000;
  const mbMax = (Math.max(...s.map((p) => Math.max(p.heapUsed, p.rss))) / 1048576) * 1.1;
  const rateMax = Math.max(1, ...s.map((p) => p.runsPerSec)) * 1.1;
  const xs = ticks(tMax);
  const mbTicks = ticks(mbMax);
  const rateTicks = ticks(rateMax);
  const X = (t: number) => M.l + ((x1 - M.l) * t) / (xs.at(-1) ?? tMax);
  const Ymb = (mb: number) => y0 - ((y0 - y1) * mb) / (mbTicks.at(-1) ?? mbMax);
  const Yrate = (v: number) => y0 - ((y0 - y1) * v) / (rateTicks.at(-1) ?? rateMax);
  const line = (points: [number, number][], colour: string, dash = '') =>
    `<polyline fill="none" stroke="${colour}" stroke-width="1.8"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${points
      .map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`)
      .join(' ')}"/>`;
  const parts: string[] = [];
  const title = `${r.kind}: ${r.events.toLocaleString('en-US')} events, ${(r.durationMs / 1000).toFixed(0)} s, ${Math.round((r.events * 1000) / r.durationMs).toLocaleString('en-US')} runs/s overall`;
  parts.push(`<text x="${M.l}" y="${top + 20}" font-size="14" font-weight="600">${esc(title)}</text>`);
  for (const v of mbTicks) {
    parts.push(`<line x1="${M.l}" x2="${x1}" y1="${Ymb(v)}" y2="${Ymb(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${M.l - 6}" y="${Ymb(v) + 4}" font-size="11" text-anchor="end">${v}</text>`);
  }
  for (const v of rateTicks)
    parts.push(`<text x="${x1 + 6}" y="${Yrate(v) + 4}" font-size="11" fill="${colours.rate}">${v.toLocaleString('en-US')}</text>`);
  for (const v of xs) parts.push(`<text x="${X(v)}" y="${y0 + 16}" font-size="11" text-anchor="middle">${v}</text>`);
  parts.push(`<line x1="${M.l}" x2="${x1}" y1="${y0}" y2="${y0}" stroke="#999"/>`);
  parts.push(`<text x="${(M.l + x1) / 2}" y="${y0 + 32}" font-size="11" text-anchor="middle">seconds since the first send</text>`);
  parts.push(`<text x="14" y="${(y0 + y1) / 2}" font-size="11" transform="rotate(-90 14 ${(y0 + y1) / 2})" text-anchor="middle">MB</text>`);
  parts.push(
    `<text x="${W - 8}" y="${(y0 + y1) / 2}" font-size="11" fill="${colours.rate}" transform="rotate(90 ${W - 8} ${(y0 + y1) / 2})" text-anchor="middle">runs/s</text>`,
  );
  // The first sample is taken before any run finished: its rate says nothing.
  parts.push(
    line(
      s.slice(1).map((p) => [X(p.t / 1000), Yrate(p.runsPerSec)]),
      colours.rate,
      '4 3',
    ),
  );
  parts.push(
    line(
      s.map((p) => [X(p.t / 1000), Ymb(p.rss / 1048576)]),
      colours.rss,
    ),
  );
  parts.push(
    line(
      s.map((p) => [X(p.t / 1000), Ymb(p.heapUsed / 1048576)]),
      colours.heap,
    ),
  );
  const legend: [string, string][] = [
    ['heap used (after GC)', colours.heap],
    ['RSS', colours.rss],
    ['runs/s', colours.rate],
  ];
  legend.forEach(([label, colour], i) => {
    const lx = M.l + i * 150;
    parts.push(`<rect x="${lx}" y="${top + 31}" width="14" height="3" fill="${colour}"/>`);
    parts.push(`<text x="${lx + 18}" y="${top + 36}" font-size="11">${esc(label)}</text>`);
  });
  return parts.join('\n');
}

export function soakChart(results: SoakResult[], caption: string): string {
  const h = results.length * PANEL_H + 30;
  const panels = results.map((r, i) => panel(r, i * PANEL_H)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="system-ui, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
${panels}
<text x="${M.l}" y="${h - 10}" font-size="11" fill="#555">${esc(caption)}</text>
</svg>
`;
}
