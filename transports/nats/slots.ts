/**
 * `Slots` on the limits bucket: one KV key per slot key (`slot.<k>`, see
 * ./limits-bucket.ts) holding its whole state (./slot-state.ts), read,
 * changed and written back by compare-and-set, tried again from a fresh
 * read when another process wrote first.
 *
 * Waking a waiter commits the state first, with the slot given to it and
 * its wake recorded as owed, then publishes the wake, then clears what it
 * sent. The waiter's acquire on waking therefore always finds the slot its
 * own (a wake sent before the commit could arrive first, find nothing,
 * and be spent). A crash after the commit leaves the wake owed: the next
 * change of the key, or the reclaim, sends it again. A wake may so arrive
 * twice, which the core tolerates.
 *
 * A slot key that empties is deleted but its delete marker stays (one small
 * message per key ever used, until the namespace goes): purged, the key
 * would be back at revision 0, and a writer that read it absent before a
 * reclaim's fence (./lease-index.ts) could then commit after it, on a state
 * the fence was meant to close.
 */
import type { SlotWaiter, Slots } from '../../core/transport.js';
import { lowerEntry, readShard, RECLAIM_BATCH, shardNames, writeShard, type Shard } from './lease-index.js';
import { ATTEMPTS, backoff, contended, keyToken, PerKey, type LimitsBucket, type Read } from './limits-bucket.js';
import {
  decodeState,
  earliest,
  encodeState,
  isEmpty,
  lapse,
  park,
  promote,
  unpark,
  wakeOf,
  type Parked,
  type SlotState,
} from './slot-state.js';

/** Publishes a woken waiter's message as `Transport.publish` would, with a fresh message id. */
type Wake = (waiter: SlotWaiter) => Promise<unknown>;

type Step<T> = (state: SlotState, now: number) => T;

const text = new TextDecoder();
const slotKey = (token: string) => `slot.${token}`;

export class NatsSlots implements Slots {
  private readonly serial = new PerKey();

  constructor(
    private readonly bucket: LimitsBucket,
    private readonly wake: Wake,
    private readonly now: () => number = Date.now,
  ) {}

  acquire(key: string, holder: string, limit: number, leaseMs: number, waiter?: SlotWaiter): Promise<boolean> {
    return this.change(key, 'acquiring a slot', (state, now) => {
      state.limit = limit;
      if (state.held.has(holder) || state.held.size < limit) {
        state.held.set(holder, now + leaseMs);
        unpark(state, holder);
        return true;
      }
      if (waiter) park(state, holder, waiter, leaseMs);
      return false;
    });
  }

  async release(key: string, holder: string): Promise<void> {
    await this.change(key, 'releasing a slot', (state) => {
      unpark(state, holder);
      state.held.delete(holder);
    });
  }

  renew(key: string, holder: string, leaseMs: number): Promise<boolean> {
    return this.change(key, 'renewing a slot', (state, now) => {
      const until = state.held.get(holder);
      if (until === undefined) return false;
      state.held.set(holder, now + leaseMs);
      return true;
    });
  }

  async count(key: string): Promise<{ held: number; waiting: number }> {
    const state = decodeState((await this.bucket.read(slotKey(keyToken(key)))).value);
    const now = this.now();
    let held = 0;
    for (const until of state.held.values()) if (until > now) held++;
    return { held, waiting: state.queue.length };
  }

  async reclaim(): Promise<number> {
    const freed = await Promise.all(shardNames().map((name) => this.reclaimShard(name)));
    return freed.reduce((a, b) => a + b, 0);
  }

  /**
   * One shard: every due key is fenced (see ./lease-index.ts) with its lapsed
   * leases freed, then the entries are raised to what the keys now need, or
   * removed. A shard written meanwhile keeps its entries low; a few more tries
   * look at what is still due.
   */
  private async reclaimShard(name: string): Promise<number> {
    let freed = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const shard: Shard = await readShard(this.bucket, name);
      const now = this.now();
      const due = Object.entries(shard.entries)
        .filter(([, at]) => at <= now)
        .slice(0, RECLAIM_BATCH)
        .map(([token]) => token);
      if (due.length === 0) return freed;
      const changes = new Map<string, number | undefined>();
      for (const token of due) {
        const fenced = await this.serial.run(token, () => this.fence(token));
        if (!fenced) continue;
        freed += fenced.lapsed;
        changes.set(token, fenced.indexed);
      }
      if (changes.size === 0 || (await writeShard(this.bucket, shard, changes))) return freed;
      await backoff(attempt);
    }
    return freed;
  }

  /** Frees the key's lapsed leases and commits its state whatever happened; undefined when another process wrote first (it is looked at again next time). */
  private async fence(token: string): Promise<{ lapsed: number; indexed: number | undefined } | undefined> {
    const key = slotKey(token);
    const read = await this.bucket.read(key);
    const state = decodeState(read.value);
    const now = this.now();
    const lapsed = lapse(state, now);
    promote(state, now);
    // A state only the reclaim writes owns its entry outright: the entry becomes what the holders need.
    state.indexed = earliest(state);
    const committed = isEmpty(state)
      ? await this.bucket.delete(key, read.revision, false)
      : await this.bucket.write(key, encodeState(state), read.revision);
    if (committed === false || committed === undefined) return undefined;
    if (typeof committed === 'number') await this.sendOwed(token, state.owed, committed);
    return { lapsed, indexed: state.indexed };
  }

  /**
   * Reads the key's state, frees lapsed leases (their slots go to waiters),
   * applies `step`, and writes the result if it differs from what was read.
   */
  private change<T>(key: string, what: string, step: Step<T>): Promise<T> {
    const token = keyToken(key);
    return this.serial.run(token, async () => {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const read = await this.bucket.read(slotKey(token));
        const state = decodeState(read.value);
        const now = this.now();
        lapse(state, now);
        promote(state, now);
        const result = step(state, now);
        promote(state, now);
        const revision = await this.commit(token, read, state);
        if (revision === undefined) {
          await backoff(attempt);
          continue;
        }
        if (state.owed.length > 0) await this.sendOwed(token, state.owed, revision);
        return result;
        await backoff(attempt);
      }
      throw contended(what);
    });
  }

  /** Writes `state` over `read` (nothing when unchanged): the revision it is at, or undefined when another process wrote first. */
  private async commit(token: string, read: Read, state: SlotState): Promise<number | undefined> {
    const key = slotKey(token);
    if (isEmpty(state)) {
      if (!read.value || read.value.length === 0) return read.revision;
      return (await this.bucket.delete(key, read.revision, false)) ? read.revision : undefined;
    }
    const need = earliest(state);
    if (need !== undefined && (state.indexed === undefined || need < state.indexed)) {
      if (!(await lowerEntry(this.bucket, token, need, ATTEMPTS, backoff))) throw contended('indexing a slot lease');
      state.indexed = need;
    }
    const value = encodeState(state);
    if (read.value && text.decode(read.value) === value) return read.revision;
    return this.bucket.write(key, value, read.revision);
  }

  /**
   * Publishes the owed wakes of a committed state, then takes them off the
   * state if nobody wrote since; when someone did, whoever changes the key
   * next sends them again (a wake twice is harmless, a wake never is not).
   */
  private async sendOwed(token: string, owed: Parked[], revision: number): Promise<void> {
    for (const parked of owed) await this.wake(wakeOf(parked));
    const key = slotKey(token);
    const read = await this.bucket.read(key);
    if (read.revision !== revision) return;
    const state = decodeState(read.value);
    const sent = new Set(owed.map((p) => p.holder));
    state.owed = state.owed.filter((p) => !sent.has(p.holder));
    if (isEmpty(state)) await this.bucket.delete(key, read.revision, false);
    else await this.bucket.write(key, encodeState(state), read.revision);
  }
}
