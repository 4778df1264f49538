/**
 * @module
 * Start schedules per key for one hub (GCRA, as `Rates` in the seam
 * describes): the memory transport's `Rates`.
 */
import type { Clock } from '../../core/clock.js';

export class RateTable {
  /** Key → theoretical arrival time of its next start. */
  private readonly tats = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  reserve(key: string, limit: number, periodMs: number, burst: number): number {
    const now = this.clock.now();
    const interval = periodMs / limit;
    const tat = Math.max(this.tats.get(key) ?? now, now);
    this.tats.set(key, tat + interval);
    this.prune(now);
    return Math.max(0, Math.ceil(tat - burst * interval - now));
  }

  take(key: string, limit: number, periodMs: number, burst: number): boolean {
    const now = this.clock.now();
    const interval = periodMs / limit;
    const tat = Math.max(this.tats.get(key) ?? now, now);
    if (tat - burst * interval > now) return false;
    this.tats.set(key, tat + interval);
    this.prune(now);
    return true;
  }

  private pruned = 0;

  // Keys whose schedule is in the past hold nothing: forget them now and then, so many one-off keys do not pile up.
  private prune(now: number): void {
    if (++this.pruned < 1_000) return;
    this.pruned = 0;
    for (const [key, tat] of this.tats) if (tat <= now) this.tats.delete(key);
  }
}
