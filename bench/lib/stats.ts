/**
 * @module
 * Small statistics and formatting helpers shared by the benchmarks: exact
 * percentiles over recorded samples, min/median/max over rounds, and plain
 * text tables for the terminal.
 */

export interface Distribution {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface Rounds {
  /** Every round's value, in the order measured. */
  values: number[];
  min: number;
  median: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array (p in 0–100). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function distribution(samples: ArrayLike<number>): Distribution {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

export function rounds(values: number[]): Rounds {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length === 0 ? Number.NaN : sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { values, min: sorted[0] ?? Number.NaN, median, max: sorted[sorted.length - 1] ?? Number.NaN };
}

/** Runs `fn` `n` times and summarises each figure it returns over the rounds. */
export async function overRounds<K extends string>(
  n: number,
  fn: (round: number) => Promise<Record<K, number>>,
): Promise<Record<K, Rounds>> {
  const seen: Partial<Record<K, number[]>> = {};
  for (let i = 0; i < n; i++) {
    const r = await fn(i);
    for (const k of Object.keys(r) as K[]) (seen[k] ??= []).push(r[k]);
  }
  const out = {} as Record<K, Rounds>;
  for (const k of Object.keys(seen) as K[]) out[k] = rounds(seen[k] as number[]);
  return out;
}

// ── formatting ──────────────────────────────────────────────────────────

const finite = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** Microseconds with a sensible number of digits (µs under 1 ms, ms above). */
export function fmtUs(us: number | undefined): string {
  if (!finite(us)) return '–';
  if (us < 10) return `${us.toFixed(2)} µs`;
  if (us < 1000) return `${us.toFixed(1)} µs`;
  return fmtMs(us / 1000);
}

export function fmtMs(ms: number | undefined): string {
  if (!finite(ms)) return '–';
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function fmtRate(perSec: number | undefined, unit = '/s'): string {
  if (!finite(perSec)) return '–';
  if (perSec >= 100_000) return `${(perSec / 1000).toFixed(0)}k${unit}`;
  if (perSec >= 10_000) return `${(perSec / 1000).toFixed(1)}k${unit}`;
  return `${perSec.toFixed(0)}${unit}`;
}

export function fmtBytes(b: number | undefined): string {
  if (!finite(b)) return '–';
  if (Math.abs(b) < 1024) return `${b.toFixed(0)} B`;
  if (Math.abs(b) < 1024 * 1024) return `${(b / 1024).toFixed(2)} KB`;
  return `${(b / 1024 / 1024).toFixed(1)} MB`;
}

export function fmtRatio(r: number | undefined): string {
  if (!finite(r)) return '–';
  return r >= 100 ? `${r.toFixed(0)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

export function fmtPct(share: number | undefined): string {
  if (!finite(share)) return '–';
  return `${(share * 100).toFixed(share < 0.1 && share > 0 ? 2 : 1)}%`;
}

/** `min / median / max` of rounds with one formatter. */
export function fmtRounds(r: Rounds | undefined, f: (v: number) => string): string {
  if (!r || !finite(r.median)) return '–';
  if (r.values.length <= 1) return f(r.median);
  return `${f(r.median)} (${f(r.min)}–${f(r.max)})`;
}

export const tick = (pass: boolean | undefined): string => (pass === undefined ? '·' : pass ? '✓' : '✗');

/** A plain text table; the first row is the header. */
export function table(rows: string[][], options: { indent?: string; alignLeft?: number } = {}): string {
  if (rows.length === 0) return '';
  const indent = options.indent ?? '  ';
  const left = options.alignLeft ?? 1;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  const line = (row: string[]) =>
    indent +
    row
      .map((cell, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i] - [...cell].length));
        return i < left ? cell + pad : pad + cell;
      })
      .join('  ')
      .trimEnd();
  const [head, ...body] = rows;
  return [line(head), indent + widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
