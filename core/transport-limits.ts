/**
 * @module
 * The seam's primitives for limits that hold across processes: a leased
 * semaphore with a queue of parked waiters (`Slots`), and a start schedule
 * per key (`Rates`). The core decides what a limit is and when to ask; the
 * transport stores and orders, atomically per key, so two workers of a
 * namespace never both take the last slot or the same start time.
 *
 * Keys are strings the core makes (function id, limit, the user's key); a
 * transport encodes them as its server needs and never reads them.
 */

/** What a parked waiter becomes when a slot is given to it: a message published for it, as `Transport.publish` would. */
export interface SlotWaiter {
  subject: string;
  data: Uint8Array;
  /** Higher first among the waiters of one key; equal priorities in the order they parked. */
  priority: number;
}

/**
 * A counting semaphore per key, its slots leased to holders.
 *
 * - A slot is held by a holder id until released, or until its lease runs
 *   out (`leaseMs` after it was taken or last renewed): a holder that died
 *   gives its slot back by itself.
 * - A holder that is refused parks in the key's queue with the message that
 *   wakes it. When a slot frees (release, or a lapsed lease found by
 *   `acquire`, `release` or `reclaim`), the transport gives it to the first
 *   waiter (priority, then arrival) and publishes that waiter's message: the
 *   waiter then holds the slot, leased, before it has even woken, so no
 *   newcomer takes it meanwhile. The waiter's `acquire` on waking finds it
 *   holds the slot already.
 * - Nothing polls per waiter: slots move only when something is released,
 *   lapses or is asked for.
 */
export interface Slots {
  /**
   * Takes a slot of `key` for `holder` when fewer than `limit` are held, or
   * confirms (and renews) one `holder` holds already: true. Otherwise parks
   * `waiter` (once per holder: parking again keeps its place) and answers
   * false; with no `waiter`, answers false and parks nothing. A holder that
   * is parked and finds a slot free takes it and leaves the queue.
   */
  acquire(key: string, holder: string, limit: number, leaseMs: number, waiter?: SlotWaiter): Promise<boolean>;
  /** Gives back `holder`'s slot (and takes it out of the queue if it waits there); the slot goes to the first waiter. No-op for a stranger. */
  release(key: string, holder: string): Promise<void>;
  /** Extends `holder`'s lease; false when it holds no slot of `key` any more (its lease lapsed and the slot moved on). */
  renew(key: string, holder: string, leaseMs: number): Promise<boolean>;
  /** Frees every slot, of any key, whose lease has run out, giving each to a waiter; how many were freed. */
  reclaim(): Promise<number>;
  /** How many slots of `key` are held and how many holders wait for one (for dashboards; may be a moment old). */
  count(key: string): Promise<{ held: number; waiting: number }>;
}

/**
 * A schedule of starts per key, spaced so that no more than `limit` (plus
 * `burst`) start in any `period`: GCRA, with interval T = `periodMs / limit`
 * and a theoretical arrival time (TAT) kept per key. At time `now`, with
 * tat = max(stored TAT, now): a start may go at max(now, tat − burst·T) and
 * the stored TAT becomes tat + T. An idle key therefore starts at once, and
 * `burst` + 1 starts may go together.
 */
export interface Rates {
  /**
   * Books the next free start time of `key` and answers how many
   * milliseconds from now it is (0: start now). Every call books its own
   * time, so callers are served in the order they asked; nothing is refused.
   */
  reserve(key: string, limit: number, periodMs: number, burst: number): Promise<number>;
  /**
   * The same schedule, but a start that would have to wait is refused
   * instead of booked: true when one may start now (and it is counted),
   * false when the key is over its rate (nothing is counted).
   */
  take(key: string, limit: number, periodMs: number, burst: number): Promise<boolean>;
}
