/**
 * @module
 * Gathers the writes a process makes in one tick of the event loop into one
 * `BEGIN IMMEDIATE` transaction. Each write is a transaction function of
 * its own, so inside the batch it runs in a savepoint: one that fails rolls
 * back alone and rejects alone, and the others commit.
 *
 * Why: every transaction takes the file's write lock, and a process that
 * finds it taken waits in SQLite's busy handler, which sleeps in steps of
 * milliseconds. A worker starting a batch of runs makes dozens of small
 * writes at once (claims, records, acks, broadcasts); one lock per tick
 * instead of one per write keeps processes sharing a file from sleeping on
 * each other. A lone write goes out in the tick it was made.
 *
 * The flush runs on `process.nextTick`: queued from a promise callback, that
 * is after every promise callback of the tick has run, so writes issued a
 * few `await`s apart still travel together.
 */
import type { Database } from 'better-sqlite3';

interface Item {
  work: () => unknown;
  resolve(result: unknown): void;
  reject(err: unknown): void;
}

/** Most writes per transaction, so one batch never holds the lock for long. */
const maxItems = 256;

export class WriteBatch {
  private items: Item[] = [];
  private readonly commit;

  constructor(db: Database) {
    this.commit = db.transaction((items: Item[]) => {
      const out: { ok: boolean; value: unknown }[] = [];
      for (const item of items) {
        try {
          out.push({ ok: true, value: item.work() });
        } catch (err) {
          out.push({ ok: false, value: err });
        }
      }
      return out;
    });
  }

  /** Runs `work` (a transaction function, so it is a savepoint here) in this tick's transaction. */
  add<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.items.length === 0) process.nextTick(this.flush);
      this.items.push({ work, resolve, reject });
      if (this.items.length >= maxItems) this.flush();
    });
  }

  readonly flush = (): void => {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    let results: { ok: boolean; value: unknown }[];
    try {
      results = this.commit.immediate(items);
    } catch (err) {
      // The lock could not be had (busy past busy_timeout) or the commit failed: nothing of the batch was written.
      for (const item of items) item.reject(err);
      return;
    }
    for (let i = 0; i < items.length; i++) {
      if (results[i].ok) items[i].resolve(results[i].value);
      else items[i].reject(results[i].value);
    }
  };
}
