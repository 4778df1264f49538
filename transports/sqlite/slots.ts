/**
 * @module
 * `Slots` on three tables: each key's limit, its holders with their lease
 * ends, and its parked waiters (ordered by priority, then arrival). Every
 * call is one `BEGIN IMMEDIATE` transaction, which is what makes a
 * transition atomic across processes; a slot that frees goes to the first
 * waiter in the same transaction that publishes the waiter's message, so a
 * wake-up is never lost between the two.
 */
import type { SlotWaiter, Slots } from '../../core/transport.js';
import type { Messages } from './messages.js';
import type { SharedFile } from './shared-file.js';
import { asBuffer } from './store.js';

interface Waiting {
  arrival: number;
  holder: string;
  lease_ms: number;
  subject: string;
  data: Buffer;
}

export class SqliteSlots {
  private readonly acquireInBatch;
  private readonly releaseInBatch;
  private readonly renewInBatch;
  private readonly reclaimInBatch;
  private woke = false;

  constructor(
    private readonly file: SharedFile,
    private readonly ns: string,
    private readonly messages: Messages,
  ) {
    this.acquireInBatch = (key: string, holder: string, limit: number, leaseMs: number, waiter?: SlotWaiter) => {
      const now = Date.now();
      file.stmt(`INSERT INTO slot_keys (ns, key, lim) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET lim = excluded.lim`).run(ns, key, limit);
      this.lapse(key, now);
      const mine = file.stmt(`SELECT 1 FROM slot_holders WHERE ns = ? AND key = ? AND holder = ?`).get(ns, key, holder);
      if (mine || this.held(key) < limit) {
        file
          .stmt(`INSERT OR REPLACE INTO slot_holders (ns, key, holder, lease_until) VALUES (?, ?, ?, ?)`)
          .run(ns, key, holder, now + leaseMs);
        file.stmt(`DELETE FROM slot_waiters WHERE ns = ? AND key = ? AND holder = ?`).run(ns, key, holder);
        return true;
      }
      if (waiter) {
        file
          .stmt(
            `INSERT INTO slot_waiters (ns, key, holder, priority, lease_ms, subject, data) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
          )
          .run(ns, key, holder, waiter.priority, leaseMs, waiter.subject, asBuffer(waiter.data));
      }
      return false;
    };
    this.releaseInBatch = (key: string, holder: string) => {
      file.stmt(`DELETE FROM slot_waiters WHERE ns = ? AND key = ? AND holder = ?`).run(ns, key, holder);
      const { changes } = file.stmt(`DELETE FROM slot_holders WHERE ns = ? AND key = ? AND holder = ?`).run(ns, key, holder);
      if (changes > 0) this.promote(key, Date.now());
      this.forget(key);
    };
    this.renewInBatch = (key: string, holder: string, leaseMs: number) => {
      const now = Date.now();
      return (
        file
          .stmt(`UPDATE slot_holders SET lease_until = ? WHERE ns = ? AND key = ? AND holder = ? AND lease_until > ?`)
          .run(now + leaseMs, ns, key, holder, now).changes > 0
      );
    };
    this.reclaimInBatch = () => {
      const now = Date.now();
      const keys = file.stmt(`SELECT DISTINCT key FROM slot_holders WHERE ns = ? AND lease_until <= ?`).pluck().all(ns, now) as string[];
      let freed = 0;
      for (const key of keys) {
        freed += this.lapse(key, now);
        this.forget(key);
      }
      return freed;
    };
  }

  private held(key: string): number {
    return this.file.stmt(`SELECT count(*) FROM slot_holders WHERE ns = ? AND key = ?`).pluck().get(this.ns, key) as number;
  }

  /** Frees lapsed leases of `key` and gives the slots to waiters; how many lapsed. */
  private lapse(key: string, now: number): number {
    const { changes } = this.file.stmt(`DELETE FROM slot_holders WHERE ns = ? AND key = ? AND lease_until <= ?`).run(this.ns, key, now);
    if (changes > 0) this.promote(key, now);
    return changes;
  }

  private promote(key: string, now: number): void {
    const { file, ns } = this;
    const limit = file.stmt(`SELECT lim FROM slot_keys WHERE ns = ? AND key = ?`).pluck().get(ns, key) as number | undefined;
    if (limit === undefined) return;
    let held = this.held(key);
    while (held < limit) {
      const next = file
        .stmt(
          `SELECT arrival, holder, lease_ms, subject, data FROM slot_waiters WHERE ns = ? AND key = ? ORDER BY priority DESC, arrival LIMIT 1`,
        )
        .get(ns, key) as Waiting | undefined;
      if (!next) break;
      file.stmt(`DELETE FROM slot_waiters WHERE arrival = ?`).run(next.arrival);
      file
        .stmt(`INSERT OR REPLACE INTO slot_holders (ns, key, holder, lease_until) VALUES (?, ?, ?, ?)`)
        .run(ns, key, next.holder, now + next.lease_ms);
      this.messages.insert(next.subject, next.data, {});
      this.woke = true;
      held++;
    }
  }

  private forget(key: string): void {
    const { file, ns } = this;
    const busy =
      file.stmt(`SELECT 1 FROM slot_holders WHERE ns = ? AND key = ? LIMIT 1`).get(ns, key) ??
      file.stmt(`SELECT 1 FROM slot_waiters WHERE ns = ? AND key = ? LIMIT 1`).get(ns, key);
    if (!busy) file.stmt(`DELETE FROM slot_keys WHERE ns = ? AND key = ?`).run(ns, key);
  }

  /** Runs a transaction and, if it woke a waiter, tells this process's consumers at once. */
  private run<T>(work: () => T): T {
    this.woke = false;
    const out = work();
    if (this.woke) this.file.touched('messages');
    return out;
  }

  readonly api = (guard: <T>(what: string, work: () => T) => Promise<T>): Slots => ({
    acquire: (key, holder, limit, leaseMs, waiter) =>
      this.file.write('slots.acquire', () => this.run(() => this.acquireInBatch(key, holder, limit, leaseMs, waiter))),
    release: (key, holder) => this.file.write('slots.release', () => this.run(() => this.releaseInBatch(key, holder))),
    renew: (key, holder, leaseMs) => this.file.write('slots.renew', () => this.renewInBatch(key, holder, leaseMs)),
    reclaim: () => this.file.write('slots.reclaim', () => this.run(() => this.reclaimInBatch())),
    count: (key) =>
      guard('slots.count', () => {
        const now = Date.now();
        const held = this.file
          .stmt(`SELECT count(*) FROM slot_holders WHERE ns = ? AND key = ? AND lease_until > ?`)
          .pluck()
          .get(this.ns, key, now) as number;
        const waiting = this.file.stmt(`SELECT count(*) FROM slot_waiters WHERE ns = ? AND key = ?`).pluck().get(this.ns, key) as number;
        return { held, waiting };
      }),
  });
}
