/**
 * @module
 * The Prometheus text exposition format (version 0.0.4), written by hand:
 * eventide keeps a handful of families whose labels are known when a run
 * starts, so a counter is a number in a map and a histogram an array of
 * bucket counts; rendering happens only when something scrapes.
 */

/** The Content-Type a scrape answer carries. */
export const exposition = 'text/plain; version=0.0.4; charset=utf-8';

/** A label value as the format quotes it: backslash, double quote and line feed escaped. */
export function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Rendered labels, `a="x",b="y"`, from names and values in order. */
export function labels(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([k, v]) => `${k}="${labelValue(v)}"`).join(',');
}

function sample(name: string, labelText: string, value: number): string {
  const v = Number.isFinite(value) ? String(value) : value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
  return labelText === '' ? `${name} ${v}\n` : `${name}{${labelText}} ${v}\n`;
}

function header(name: string, type: string, help: string): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
}

/** A counter or gauge family: values by rendered labels. */
export class Family {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly type: 'counter' | 'gauge',
    readonly help: string,
  ) {}

  inc(labelText: string, by = 1): void {
    this.values.set(labelText, (this.values.get(labelText) ?? 0) + by);
  }

  set(labelText: string, value: number): void {
    this.values.set(labelText, value);
  }

  render(): string {
    let out = header(this.name, this.type, this.help);
    for (const [l, v] of this.values) out += sample(this.name, l, v);
    return out;
  }
}

/** Upper bounds in seconds: from a millisecond to five minutes, for attempts, steps and start latency alike. */
export const defaultBuckets: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** One labelled series of a histogram: a count per bucket (not yet cumulative), their sum and count. */
export class Series {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(seconds: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }
}

export class Histogram {
  private readonly series = new Map<string, Series>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[] = defaultBuckets,
  ) {}

  /** The series of these labels, made on first use; callers keep it to observe without a lookup. */
  of(labelText: string): Series {
    let s = this.series.get(labelText);
    if (!s) this.series.set(labelText, (s = new Series(this.bounds)));
    return s;
  }

  render(): string {
    let out = header(this.name, 'histogram', this.help);
    for (const [l, s] of this.series) {
      const sep = l === '' ? '' : `${l},`;
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += s.counts[i];
        out += sample(`${this.name}_bucket`, `${sep}le="${this.bounds[i]}"`, cumulative);
      }
      out += sample(`${this.name}_bucket`, `${sep}le="+Inf"`, s.count);
      out += sample(`${this.name}_sum`, l, s.sum);
      out += sample(`${this.name}_count`, l, s.count);
    }
    return out;
  }
}
