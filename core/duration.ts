import { ConfigError } from './errors.js';

/** Milliseconds, or a string such as '500ms', '30s', '5m', '2h', '1d', '1w'. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd' | 'w'}` | (string & {});

const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function toMs(duration: Duration, what = 'duration'): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration) || duration < 0)
      throw new ConfigError(`${what} must be a finite number of milliseconds ≥ 0, got ${duration}`);
    return duration;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(duration);
  if (!m) throw new ConfigError(`${what} "${duration}" is not a duration: use milliseconds or a string like '500ms', '30s', '5m', '1d'`);
  return Math.round(Number(m[1]) * units[m[2]]);
}
