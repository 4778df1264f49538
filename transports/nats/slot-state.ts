/**
 * The whole state of one slot key as it is stored (JSON in one KV value),
 * and the steps that change it; ./slots.ts reads a state, applies steps and
 * writes the result back by compare-and-set. The steps are the memory
 * transport's (transports/memory/slot-table.ts), on a decoded copy.
 *
 * Lease expiries are absolute times from the writing process's clock: the
 * processes of a namespace are assumed to agree on the time to well within
 * a lease, as they must anyway for ack waits and delayed messages.
 */
import type { SlotWaiter } from '../../core/transport.js';

export interface Parked {
  holder: string;
  subject: string;
  /** The waiter's message, base64. */
  data: string;
  priority: number;
  /** The lease it holds the slot for once woken, until its own acquire renews it. */
  leaseMs: number;
}

export interface SlotState {
  limit: number;
  /** Holder → when its lease runs out. */
  held: Map<string, number>;
  /** Kept sorted: higher priority first, then arrival. */
  queue: Parked[];
  /** A time no later than the key's entry in the lease index, when it has one (see ./lease-index.ts). */
  indexed: number | undefined;
  /** Waiters given a slot whose wake may not have gone out yet: committed with the slot, sent after, cleared once sent. */
  owed: Parked[];
}

interface Stored {
  limit: number;
  held: [string, number][];
  queue: Parked[];
  indexed?: number;
  owed?: Parked[];
}

const text = new TextDecoder();

export function decodeState(value: Uint8Array | undefined): SlotState {
  if (!value || value.length === 0) return { limit: 0, held: new Map(), queue: [], indexed: undefined, owed: [] };
  const s = JSON.parse(text.decode(value)) as Stored;
  return { limit: s.limit, held: new Map(s.held), queue: s.queue, indexed: s.indexed, owed: s.owed ?? [] };
}

export function encodeState(state: SlotState): string {
  const s: Stored = { limit: state.limit, held: [...state.held], queue: state.queue };
  if (state.indexed !== undefined) s.indexed = state.indexed;
  if (state.owed.length > 0) s.owed = state.owed;
  return JSON.stringify(s);
}

export function isEmpty(state: SlotState): boolean {
  return state.held.size === 0 && state.queue.length === 0 && state.owed.length === 0;
}

/** The earliest lease expiry among the holders, if any hold. */
export function earliest(state: SlotState): number | undefined {
  let min: number | undefined;
  for (const until of state.held.values()) if (min === undefined || until < min) min = until;
  return min;
}

/** Drops lapsed leases; how many. */
export function lapse(state: SlotState, now: number): number {
  let lapsed = 0;
  for (const [holder, until] of state.held) {
    if (until > now) continue;
    state.held.delete(holder);
    lapsed++;
  }
  return lapsed;
}

/** Gives free slots to the first waiters, leased from `now`; their wakes are owed until sent. */
export function promote(state: SlotState, now: number): void {
  while (state.held.size < state.limit && state.queue.length > 0) {
    const next = state.queue.shift() as Parked;
    state.held.set(next.holder, now + next.leaseMs);
    state.owed.push(next);
  }
}

/** A parked waiter's message, as the transport publishes it. */
export function wakeOf(parked: Parked): SlotWaiter {
  return { subject: parked.subject, data: Buffer.from(parked.data, 'base64'), priority: parked.priority };
}

export function unpark(state: SlotState, holder: string): boolean {
  const at = state.queue.findIndex((p) => p.holder === holder);
  if (at < 0) return false;
  state.queue.splice(at, 1);
  return true;
}

/** Parks `holder` behind the waiters of its priority or higher, unless it is parked already (it keeps its place). */
export function park(state: SlotState, holder: string, waiter: SlotWaiter, leaseMs: number): void {
  if (state.queue.some((p) => p.holder === holder)) return;
  const parked: Parked = {
    holder,
    subject: waiter.subject,
    data: Buffer.from(waiter.data.buffer, waiter.data.byteOffset, waiter.data.byteLength).toString('base64'),
    priority: waiter.priority,
    leaseMs,
  };
  const at = state.queue.findIndex((p) => p.priority < waiter.priority);
  if (at < 0) state.queue.push(parked);
  else state.queue.splice(at, 0, parked);
}
