/**
 * @module
 * Leased slots with parked waiters, per key, for one hub: the memory
 * transport's `Slots`. Everything happens in one synchronous step per call,
 * which is what makes each transition atomic here.
 */
import type { Clock } from '../../core/clock.js';
import type { SlotWaiter } from '../../core/transport.js';

interface Parked {
  holder: string;
  waiter: SlotWaiter;
  /** The lease it asked for when it parked: it holds the slot that long after it is woken, until its own acquire renews it. */
  leaseMs: number;
}

interface KeyState {
  limit: number;
  /** Holder → when its lease runs out. */
  held: Map<string, number>;
  /** Kept sorted: higher priority first, then arrival. */
  queue: Parked[];
}

/** Publishes a woken waiter's message (the hub's publish, under the transport's prefix). */
export type Wake = (waiter: SlotWaiter) => void;

export class SlotTable {
  private readonly keys = new Map<string, KeyState>();

  constructor(private readonly clock: Clock) {}

  acquire(key: string, holder: string, limit: number, leaseMs: number, wake: Wake, waiter?: SlotWaiter): boolean {
    const state = this.state(key);
    state.limit = limit;
    const now = this.clock.now();
    this.lapse(state, now, wake);
    if (state.held.has(holder) || state.held.size < limit) {
      state.held.set(holder, now + leaseMs);
      const at = state.queue.findIndex((p) => p.holder === holder);
      if (at >= 0) state.queue.splice(at, 1);
      return true;
    }
    if (waiter && !state.queue.some((p) => p.holder === holder)) {
      const parked = { holder, waiter, leaseMs };
      const at = state.queue.findIndex((p) => p.waiter.priority < waiter.priority);
      if (at < 0) state.queue.push(parked);
      else state.queue.splice(at, 0, parked);
    }
    return false;
  }

  release(key: string, holder: string, wake: Wake): void {
    const state = this.keys.get(key);
    if (!state) return;
    const at = state.queue.findIndex((p) => p.holder === holder);
    if (at >= 0) state.queue.splice(at, 1);
    if (state.held.delete(holder)) this.promote(state, this.clock.now(), wake);
    this.forget(key, state);
  }

  renew(key: string, holder: string, leaseMs: number): boolean {
    const state = this.keys.get(key);
    const until = state?.held.get(holder);
    const now = this.clock.now();
    if (!state || until === undefined || until <= now) return false;
    state.held.set(holder, now + leaseMs);
    return true;
  }

  /** Lapsed leases of the keys under `prefix` (one namespace's). */
  reclaim(prefix: string, wake: Wake): number {
    const now = this.clock.now();
    let freed = 0;
    for (const [key, state] of this.keys) {
      if (!key.startsWith(prefix)) continue;
      freed += this.lapse(state, now, wake);
      this.forget(key, state);
    }
    return freed;
  }

  count(key: string): { held: number; waiting: number } {
    const state = this.keys.get(key);
    if (!state) return { held: 0, waiting: 0 };
    const now = this.clock.now();
    let held = 0;
    for (const until of state.held.values()) if (until > now) held++;
    return { held, waiting: state.queue.length };
  }

  /** Frees lapsed leases and gives the freed slots to waiters; how many lapsed. */
  private lapse(state: KeyState, now: number, wake: Wake): number {
    let lapsed = 0;
    for (const [holder, until] of state.held) {
      if (until > now) continue;
      state.held.delete(holder);
      lapsed++;
    }
    if (lapsed > 0) this.promote(state, now, wake);
    return lapsed;
  }

  private promote(state: KeyState, now: number, wake: Wake): void {
    while (state.held.size < state.limit && state.queue.length > 0) {
      const next = state.queue.shift() as Parked;
      state.held.set(next.holder, now + next.leaseMs);
      wake(next.waiter);
    }
  }

  private state(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) this.keys.set(key, (state = { limit: 0, held: new Map(), queue: [] }));
    return state;
  }

  private forget(key: string, state: KeyState): void {
    if (state.held.size === 0 && state.queue.length === 0) this.keys.delete(key);
  }
}
