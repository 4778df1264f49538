/**
 * @module
 * Inline SVG charts for the HTML page: the signup endpoints' latency
 * distributions and horizontal bar charts.
 */
import type { SignupRow } from '../signup.js';
import { curvePercentiles } from '../signup.js';
import { fmtMs } from '../stats.js';
import { esc, variantLabel } from './format.js';

export const palette: Record<string, string> = {
  baseline: '#8a8f98',
  sync: '#d1453b',
  memory: '#2f7ed8',
  nats: '#27a243',
  redis: '#c9302c',
  bullmq: '#9b59b6',
};
const colourOf = (row: SignupRow) => (row.endpoint === 'async' ? (palette[row.variant] ?? '#333') : palette[row.endpoint]);

export function latencyChart(rows: SignupRow[], connections: number): string {
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

export function barChart(title: string, bars: { label: string; value: number; colour: string; text: string }[]): string {
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
