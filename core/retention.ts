/**
 * @module
 * How long finished run records stay. Every run is written to the store,
 * so without a bound an embedded runtime on the memory transport would grow
 * without end (BullMQ's removeOnComplete / removeOnFail, for runs).
 *
 * The process that ends a run remembers it and deletes its record once it
 * is older than `age`, or, for succeeded and cancelled runs, once more than
 * `count` newer ones ended here. Failed runs are kept for `age` whatever the
 * count, so they can still be replayed. A process that restarts forgets
 * what it ended before: on a durable store those records then stay until
 * deleted by hand, never sooner than promised.
 */
import type { Clock, TimerHandle } from './clock.js';
import { Fifo } from './fifo.js';
import type { KVStore } from './transport.js';
import type { RunStateChange } from './types.js';

export interface RetentionPolicy {
  /** Delete finished runs this long after they ended (ms). */
  ageMs: number;
  /** Keep at most this many succeeded or cancelled runs ended by this process. */
  count: number;
}

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

  ended(change: RunStateChange, key: string): void {
    if (change.to === 'failed') this.failed.push({ key, at: change.at });
    else if (change.to === 'succeeded' || change.to === 'cancelled') {
      this.done.push({ key, at: change.at });
      while (this.done.size > this.policy.count) this.remove(this.done.shift() as Ended);
    } else return;
    this.arm();
  }

  private arm(): void {
    if (this.timer || !Number.isFinite(this.policy.ageMs)) return;
    // One sweep a minute at most: records outlive their age by that much, never less.
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.sweep();
      if (this.done.size + this.failed.size > 0) this.arm();
    }, Math.min(this.policy.ageMs, 60_000));
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
