/**
 * @module
 * `Rates` (GCRA, as the seam describes) on one row per key holding its
 * theoretical arrival time; each call is one `BEGIN IMMEDIATE` transaction,
 * so two processes never book the same start.
 */
import type { Rates } from '../../core/transport.js';
import type { SharedFile } from './shared-file.js';

export function sqliteRates(file: SharedFile, ns: string): Rates {
  const read = file.stmt(`SELECT tat FROM rates WHERE ns = ? AND key = ?`).pluck();
  const write = file.stmt(`INSERT OR REPLACE INTO rates (ns, key, tat) VALUES (?, ?, ?)`);
  let calls = 0;
  const book = (key: string, limit: number, periodMs: number, burst: number, refuseWait: boolean) => {
    const now = Date.now();
    const interval = periodMs / limit;
    const tat = Math.max((read.get(ns, key) as number | undefined) ?? now, now);
    const startAt = tat - burst * interval;
    if (refuseWait && startAt > now) return -1;
    write.run(ns, key, tat + interval);
    // Keys whose schedule is in the past hold nothing: forget them now and then, so one-off keys do not pile up.
    if (++calls % 1_000 === 0) file.stmt(`DELETE FROM rates WHERE ns = ? AND tat <= ?`).run(ns, now);
    return Math.max(0, Math.ceil(startAt - now));
  };
  return {
    reserve: (key, limit, periodMs, burst) => file.write('rates.reserve', () => book(key, limit, periodMs, burst, false)),
    take: async (key, limit, periodMs, burst) => (await file.write('rates.take', () => book(key, limit, periodMs, burst, true))) === 0,
  };
}
