/**
 * @module
 * How long finished run records stay. Every run is written to the store,
 * so without a bound an embedded runtime on the memory transport would grow
 * without end (BullMQ's removeOnComplete / removeOnFail, for runs).
 *
 * A store that expires values itself (Redis) gets the age with each
 * finished run's last write and deletes it then, whatever happens to the
 * processes meanwhile. Otherwise the process that ends a run remembers it
 * and deletes its record once it is older than `age`; it remembers at most
 * `maxTracked` runs of each kind, and one that restarts forgets what it ended
 * before: those records then stay until deleted by hand, never sooner than
 * promised. Succeeded, cancelled and skipped runs also go once more than `count`
 * newer ones ended here. Failed runs are kept for `age` whatever the count,
 * so they can still be replayed.
 */
import type { Clock, TimerHandle } from './clock.js';
import { Fifo } from './lib/fifo.js';
import type { KVStore } from './transport.js';
import type { RunStateChange } from './types.js';

export interface RetentionPolicy {
  /** Delete finished runs this long after they ended (ms). */
  ageMs: number;
  /** Keep at most this many succeeded, cancelled or skipped runs ended by this process. */
  count: number;
}

/** Runs remembered per kind for deletion by age, when the store cannot expire them: bounds this process's memory. */
export const maxTracked = 100_000;

interface Ended {
  key: string;
  at: number;
}

export class Retention {
  private readonly done = new Fifo<Ended>();
  private readonly failed = new Fifo<Ended>();
  private timer: TimerHandle | undefined;

  constructor(
    private readonly policy: RetentionPolicy,
    private readonly clock: Clock,
    private readonly store: () => KVStore | undefined,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** How long the store should keep a finished run's last write, when it can expire it itself; else undefined. */
  expireMs(): number | undefined {
    return this.store()?.expires && Number.isFinite(this.policy.ageMs) ? this.policy.ageMs : undefined;
  }

  ended(change: RunStateChange, key: string): void {
    const byAge = this.expireMs() === undefined;
    if (change.to === 'failed') {
      if (byAge) this.track(this.failed, { key, at: change.at }, maxTracked);
    } else if (change.to === 'succeeded' || change.to === 'cancelled' || change.to === 'skipped') {
      if (!byAge && !Number.isFinite(this.policy.count)) return;
      // A finite count needs every run it counts remembered, however many that is.
      this.track(
        this.done,
        { key, at: change.at },
        Number.isFinite(this.policy.count) ? Math.max(maxTracked, this.policy.count) : maxTracked,
      );
      while (this.done.size > this.policy.count) this.remove(this.done.shift() as Ended);
    } else return;
    if (byAge) this.arm();
  }

  private track(fifo: Fifo<Ended>, entry: Ended, bound: number): void {
    fifo.push(entry);
    // Forgotten, not deleted: the record stays (never sooner than promised) rather than this process growing.
    while (fifo.size > bound) fifo.shift();
  }

  private arm(): void {
    if (this.timer || !Number.isFinite(this.policy.ageMs)) return;
    // One sweep a minute at most: records outlive their age by that much, never less.
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.sweep();
        if (this.done.size + this.failed.size > 0) this.arm();
      },
      Math.min(this.policy.ageMs, 60_000),
    );
  }

  sweep(): void {
    const before = this.clock.now() - this.policy.ageMs;
    for (const fifo of [this.done, this.failed]) {
      while (fifo.size > 0 && (fifo.peek() as Ended).at <= before) this.remove(fifo.shift() as Ended);
    }
  }

  private remove(entry: Ended): void {
    this.store()?.delete(entry.key).catch(this.onError);
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
