/**
 * @module
 * A cron expression with its time zone, compiled once by croner (5 fields,
 * or 6 with seconds first; nicknames such as `@hourly`), and asked only one
 * thing: the first tick strictly after a given time.
 */
import { Cron } from 'croner';
import { ConfigError } from '../errors.js';

export interface CronSchedule {
  readonly cron: string;
  readonly tz?: string;
  /** The first tick strictly after `afterMs` (epoch milliseconds); `undefined` when none is left. */
  next(afterMs: number): number | undefined;
}

/** Compiles `cron` in `tz` (IANA name; default UTC); a ConfigError naming `where` when either is not understood. */
export function compileCron(cron: unknown, tz: unknown, where: string): CronSchedule {
  if (typeof cron !== 'string' || cron.trim().length === 0)
    throw new ConfigError(`${where}.cron must be a cron expression such as '0 * * * *' (5 fields, or 6 with seconds first)`);
  if (tz !== undefined && (typeof tz !== 'string' || tz.length === 0))
    throw new ConfigError(`${where}.tz must be an IANA time zone name such as 'Europe/Paris'`);
  if (tz !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
    } catch {
      throw new ConfigError(`${where}.tz: unknown time zone ${JSON.stringify(tz)} (an IANA name such as 'Europe/Paris')`);
    }
  }
  let parsed: Cron;
  try {
    parsed = new Cron(cron, { timezone: tz ?? 'Etc/UTC', mode: '5-or-6-parts', paused: true });
  } catch (e) {
    throw new ConfigError(`${where}.cron: ${JSON.stringify(cron)} is not a cron expression: ${(e as Error).message}`);
  }
  const next = (afterMs: number): number | undefined => parsed.nextRun(new Date(afterMs))?.getTime();
  if (next(Date.now()) === undefined) throw new ConfigError(`${where}.cron: ${JSON.stringify(cron)} never fires`);
  return { cron, ...(tz !== undefined ? { tz } : {}), next };
}
