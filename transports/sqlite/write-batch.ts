/**
 * @module
 * Gathers the writes a process makes in one tick of the event loop into one
 * `BEGIN IMMEDIATE` transaction.
 *
 * Why: every transaction takes the file's write lock, and a process that
 * finds it taken waits in SQLite's busy handler, which sleeps in steps of
 * milliseconds. A worker starting a batch of runs makes dozens of small
 * writes at once (claims, records, acks, broadcasts); one lock per tick
 * instead of one per write keeps processes sharing a file from sleeping on
 * each other, and one commit costs less than many. A lone write goes out in
 * the tick it was made.
 *
 * Writes run one after the other with no savepoint between them (a
 * savepoint per write cost as much as the write). If one throws, the whole
 * transaction rolls back and the batch runs again with each write in a
 * savepoint of its own, so the failing one rolls back and rejects alone.
 *
 * The flush runs on `process.nextTick`: queued from a promise callback, that
 * is after every promise callback of the tick has run, so writes issued a
 * few `await`s apart still travel together.
 *
 * A batch that finds the lock taken does not wait in SQLite's busy handler,
 * which would block the event loop (handlers, timers, I/O) for the whole
 * wait: it asks without waiting, and asks again a moment later from a timer,
 * taking along whatever was written meanwhile, until `busyTimeoutMs` has
 * passed; then its writes fail with code LOCKED.
 */
import type { Database } from 'better-sqlite3';
import type { Revisions } from './revisions.js';

interface Item {
  work: () => unknown;
  resolve(result: unknown): void;
  reject(err: unknown): void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Most writes per transaction, so one batch never holds the lock for long. */
const maxItems = 256;

const lockError = (err: unknown) => {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
};

export class WriteBatch {
  private items: Item[] = [];
  private readonly together;
  private readonly apart;
  /** A retry of a batch that found the lock taken is scheduled; new writes wait for it. */
  private retrying = false;
  private lockedSince = 0;
  private retries = 0;

  /**
   * `db` must have its busy handler off (busy_timeout 0): this batch does the waiting. `revisions` is told when each
   * transaction begins and saves what it took just before the commit.
   */
  constructor(
    db: Database,
    private readonly busyTimeoutMs: number,
    revisions: Revisions,
  ) {
    this.together = db.transaction((items: Item[]): Outcome[] => {
      revisions.begin();
      const outcomes: Outcome[] = items.map((item) => ({ ok: true, value: item.work() }));
      revisions.save();
      return outcomes;
    });
    // A transaction function called inside another runs in a savepoint.
    const alone = db.transaction((work: () => unknown) => work());
    this.apart = db.transaction((items: Item[]): Outcome[] => {
      revisions.begin();
      const outcomes = items.map((item): Outcome => {
        try {
          return { ok: true, value: alone(item.work) };
        } catch (error) {
          return { ok: false, error };
        }
      });
      revisions.save();
      return outcomes;
    });
  }

  /** Runs `work` in this tick's transaction. */
  add<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.items.length === 0 && !this.retrying) process.nextTick(this.flush);
      this.items.push({ work, resolve, reject });
      if (this.items.length >= maxItems && !this.retrying) this.flush();
    });
  }

  readonly flush = (): void => {
    if (this.items.length === 0 || this.retrying) return;
    const items = this.items.splice(0, maxItems);
    if (this.items.length > 0) process.nextTick(this.flush);
    let outcomes: Outcome[];
    try {
      try {
        outcomes = this.together.immediate(items);
      } catch (err) {
        // One write threw and rolled the batch back: again, each in a savepoint, so it fails alone.
        if (lockError(err) || items.length === 1) throw err;
        outcomes = this.apart.immediate(items);
      }
      this.lockedSince = this.retries = 0;
    } catch (err) {
      if (lockError(err) && this.askAgain(items)) return;
      this.lockedSince = this.retries = 0;
      for (const item of items) item.reject(err);
      return;
    }
    for (let i = 0; i < items.length; i++) {
      const o = outcomes[i];
      if (o.ok) items[i].resolve(o.value);
      else items[i].reject(o.error);
    }
  };

  /** Puts `items` back first in line and schedules another try; false once the lock has been taken for busyTimeoutMs. */
  private askAgain(items: Item[]): boolean {
    const now = Date.now();
    if (this.lockedSince === 0) this.lockedSince = now;
    if (now - this.lockedSince >= this.busyTimeoutMs) return false;
    this.items = items.concat(this.items);
    this.retrying = true;
    // The first tries come soon (another process's batch is short); later ones back off, as SQLite's own handler does.
    const delay = Math.min(++this.retries, 10);
    setTimeout(() => {
      this.retrying = false;
      this.flush();
    }, delay);
    return true;
  }
}
