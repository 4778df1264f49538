/**
 * @module
 * The key-value store on the `kv` table: compare-and-set by revision, and
 * expiry (`expireMs`) kept in the row, so a value past its time is gone for
 * every reader at once and a sweep deletes it later in batches.
 *
 * Revisions come from one counter of the file, never reused: a writer that
 * holds the revision of a value deleted and created again cannot overwrite
 * the new one. Keys are the table's primary key after the namespace, so
 * `keys(prefix)` is a range of that index, not a scan.
 */
import type { Indexes, KVStore, Listing, Revision, StoreWrite, StoredValue, WriteOptions } from '../../core/transport.js';
import type { SharedFile } from './shared-file.js';

export const asBuffer = (data: Uint8Array): Buffer =>
  Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** The smallest string above every string that starts with `prefix` (for an index range); undefined for ''. */
function above(prefix: string): string | undefined {
  if (prefix === '') return undefined;
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

/** Compare-and-set writes, usable inside a transaction of the caller's (a settlement's). */
export class KvWrites {
  constructor(
    private readonly file: SharedFile,
    private readonly ns: string,
  ) {}

  private nextRevision(): number {
    return this.file.revisions.take();
  }

  create(key: string, value: Uint8Array, options: WriteOptions | undefined, now: number): Revision | undefined {
    const revision = this.nextRevision();
    const expires = options?.expireMs !== undefined ? now + options.expireMs : null;
    // An expired row counts as absent: it is replaced, as if the sweep had come first.
    const { changes } = this.file
      .stmt(
        `INSERT INTO kv (ns, key, value, revision, expires_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, revision = excluded.revision, expires_at = excluded.expires_at
         WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= ?`,
      )
      .run(this.ns, key, asBuffer(value), revision, expires, now);
    if (changes > 0 && options?.listing) this.list(key, options.listing);
    return changes > 0 ? revision : undefined;
  }

  update(key: string, value: Uint8Array, expected: Revision, options: WriteOptions | undefined, now: number): Revision | undefined {
    const revision = this.nextRevision();
    const expires = options?.expireMs !== undefined ? now + options.expireMs : null;
    const { changes } = this.file
      .stmt(
        `UPDATE kv SET value = ?, revision = ?, expires_at = ?
         WHERE ns = ? AND key = ? AND revision = ? AND (expires_at IS NULL OR expires_at > ?)`,
      )
      .run(asBuffer(value), revision, expires, this.ns, key, expected, now);
    if (changes > 0 && options?.listing) this.list(key, options.listing);
    return changes > 0 ? revision : undefined;
  }

  /** Replaces the key's listing rows, in the write's transaction. */
  private list(key: string, listing: Listing): void {
    this.unlist(key);
    const insert = this.file.stmt(`INSERT OR REPLACE INTO listings (ns, idx, member, key) VALUES (?, ?, ?, ?)`);
    for (const idx of listing.in) insert.run(this.ns, idx, listing.member, key);
  }

  unlist(key: string): void {
    this.file.stmt(`DELETE FROM listings WHERE ns = ? AND key = ?`).run(this.ns, key);
  }

  /** A settlement's write: true when it won. */
  write(w: StoreWrite, now: number): boolean {
    return (w.revision === undefined ? this.create(w.key, w.value, w, now) : this.update(w.key, w.value, w.revision, w, now)) !== undefined;
  }
}

export class SqliteKVStore implements KVStore {
  readonly expires = true;
  private readonly createInBatch;
  private readonly updateInBatch;
  private readonly writes: KvWrites;

  constructor(
    private readonly file: SharedFile,
    private readonly ns: string,
    private readonly guard: <T>(what: string, work: () => T) => Promise<T>,
  ) {
    const writes = (this.writes = new KvWrites(file, ns));
    this.createInBatch = (key: string, value: Uint8Array, options: WriteOptions | undefined) =>
      writes.create(key, value, options, Date.now());
    this.updateInBatch = (key: string, value: Uint8Array, revision: Revision, options: WriteOptions | undefined) =>
      writes.update(key, value, revision, options, Date.now());
  }

  get(key: string): Promise<StoredValue | undefined> {
    return this.guard('store.get', () => {
      const row = this.file
        .stmt(`SELECT value, revision FROM kv WHERE ns = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)`)
        .get(this.ns, key, Date.now()) as { value: Buffer; revision: number } | undefined;
      return row ? { value: row.value, revision: row.revision } : undefined;
    });
  }

  create(key: string, value: Uint8Array, options?: WriteOptions): Promise<Revision | undefined> {
    return this.file.write('store.create', () => this.createInBatch(key, value, options));
  }

  update(key: string, value: Uint8Array, revision: Revision, options?: WriteOptions): Promise<Revision | undefined> {
    return this.file.write('store.update', () => this.updateInBatch(key, value, revision, options));
  }

  delete(key: string): Promise<void> {
    return this.file.write('store.delete', () => {
      this.file.stmt(`DELETE FROM kv WHERE ns = ? AND key = ?`).run(this.ns, key);
      this.writes.unlist(key);
    });
  }

  keys(prefix: string): Promise<string[]> {
    return this.guard('store.keys', () => {
      const upper = above(prefix);
      const now = Date.now();
      const rows = (
        upper === undefined
          ? this.file.stmt(`SELECT key FROM kv WHERE ns = ? AND (expires_at IS NULL OR expires_at > ?)`).pluck().all(this.ns, now)
          : this.file
              .stmt(`SELECT key FROM kv WHERE ns = ? AND key >= ? AND key < ? AND (expires_at IS NULL OR expires_at > ?)`)
              .pluck()
              .all(this.ns, prefix, upper, now)
      ) as string[];
      return rows.filter((k) => k.startsWith(prefix));
    });
  }
}

/** Pages of one index: a range of the listings' primary key. */
export function sqliteIndexes(file: SharedFile, ns: string, guard: <T>(what: string, work: () => T) => Promise<T>): Indexes {
  return {
    page: (index, limit, after) =>
      guard(
        'indexes.page',
        () =>
          file
            .stmt(`SELECT member FROM listings WHERE ns = ? AND idx = ? AND member > ? ORDER BY member LIMIT ?`)
            .pluck()
            .all(ns, index, after ?? '', limit) as string[],
      ),
  };
}

/**
 * Deletes values past their expiry with their listings, a batch at a time, so a sweep never holds the write
 * lock for long (a sweep runs inside one of the file's write transactions).
 */
export function sweepExpired(file: SharedFile): boolean {
  const due = file.stmt(`SELECT id, ns, key FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT 1000`).all(Date.now()) as {
    id: number;
    ns: string;
    key: string;
  }[];
  const unlist = file.stmt(`DELETE FROM listings WHERE ns = ? AND key = ?`);
  const remove = file.stmt(`DELETE FROM kv WHERE id = ?`);
  for (const row of due) {
    unlist.run(row.ns, row.key);
    remove.run(row.id);
  }
  return due.length === 1000;
}
