/**
 * @module
 * Revisions of the key-value store come from one counter row of the file,
 * never reused. Within a write batch the counter is read once, at the first
 * revision the batch takes, and written back once before it commits, rather
 * than one `UPDATE … RETURNING` per write (as costly as the write itself):
 * the batch holds the write lock throughout, so no other process takes a
 * number in between. A write rolled back alone (in its savepoint) leaves a
 * gap, which is harmless: revisions need only grow.
 */
import type { Database, Statement } from 'better-sqlite3';

export class Revisions {
  private readonly read: Statement;
  private readonly write: Statement;
  private readonly takeOne: Statement;
  /** Inside a write batch's transaction. */
  private inBatch = false;
  /** The counter was read in this transaction; `last` is the newest revision taken. */
  private loaded = false;
  private last = 0;

  constructor(db: Database) {
    this.read = db.prepare(`SELECT value FROM counters WHERE name = 'revision'`).pluck();
    this.write = db.prepare(`UPDATE counters SET value = ? WHERE name = 'revision'`);
    this.takeOne = db.prepare(`UPDATE counters SET value = value + 1 WHERE name = 'revision' RETURNING value`).pluck();
  }

  /** A write batch's transaction begins: the counter is read again at its first use. */
  begin(): void {
    this.inBatch = true;
    this.loaded = false;
  }

  /** The next revision; inside the caller's transaction. */
  take(): number {
    if (!this.inBatch) return this.takeOne.get() as number;
    if (!this.loaded) {
      this.last = this.read.get() as number;
      this.loaded = true;
    }
    return ++this.last;
  }

  /** Inside the batch's transaction, just before it commits: writes back what was taken. */
  save(): void {
    if (this.loaded) this.write.run(this.last);
    this.inBatch = this.loaded = false;
  }
}
