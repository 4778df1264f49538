/**
 * @module
 * One connection per database file per process, shared by every transport
 * on that file (refcounted), so runtimes of one process meet as they do on
 * the memory transport, and `sqlite://:memory:` is one database per process.
 *
 * Changes reach the transports of a file two ways:
 * - made in this process: `touched()` tells them on the next turn of the
 *   event loop, with no delay;
 * - made by another process: `PRAGMA data_version` changes whenever another
 *   connection commits. It is read on a short interval that starts at
 *   `pollMinMs` after a change and doubles while nothing changes, up to
 *   `pollMaxMs`, so an idle file costs a few cheap reads a second and a busy
 *   one is seen within a couple of milliseconds.
 */
import { resolve as resolvePath } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { sqliteError } from './errors.js';
import { checkWritable } from './file-access.js';
import { checkHeader } from './file-header.js';
import { Revisions } from './revisions.js';
import { migrate, schemaVersion } from './schema.js';
import { WriteBatch } from './write-batch.js';

export type Synchronous = 'normal' | 'full';

export interface FileOptions {
  busyTimeoutMs: number;
  synchronous: Synchronous;
  pollMinMs: number;
  pollMaxMs: number;
}

/** What a transport does when the file changed: 'messages' (deliveries to claim), 'broadcasts', or 'all' (another process). */
export type ChangeKind = 'messages' | 'broadcasts' | 'all';

export interface ChangeListener {
  changed(kind: ChangeKind): void;
}

const files = new Map<string, SharedFile>();

const busy = (err: unknown) => String((err as { code?: unknown })?.code).startsWith('SQLITE_BUSY');
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `work` until it does not fail with SQLITE_BUSY, for up to `timeoutMs`. Switching a new file to WAL fails at
 * once, without SQLite's busy handler, while another process creates the file's schema: processes started together
 * on a new file meet there. Only at open, so the short blocking waits between tries are acceptable.
 */
function untilNotBusy<T>(work: () => T, timeoutMs: number): T {
  const end = Date.now() + timeoutMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    try {
      return work();
    } catch (err) {
      if (!busy(err) || Date.now() >= end) throw err;
      Atomics.wait(pause, 0, 0, wait);
    }
  }
}

/** The open file at `path`, opening (and migrating) it on first use; every `acquire` needs a `release`. */
export function acquireFile(path: string, options: FileOptions): SharedFile {
  const where = path === ':memory:' ? path : resolvePath(path);
  let file = files.get(where);
  if (!file) {
    file = new SharedFile(where, options);
    files.set(where, file);
  }
  file.refs++;
  return file;
}

export class SharedFile {
  readonly db: Db;
  refs = 0;
  /** Revisions of the key-value store, taken inside a write. */
  readonly revisions: Revisions;
  private readonly batch: WriteBatch;
  private readonly waitOn: Statement;
  private readonly waitOff: Statement;
  private readonly statements = new Map<string, Statement>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly pending = new Set<ChangeKind>();
  private notifyScheduled = false;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private pollMs: number;
  private version = 0;
  private readonly housekeeping: ReturnType<typeof setInterval>;
  /**
   * Run now and then on this file (old broadcasts, expired dedup ids and values), by name so each runs once whoever
   * opened it. Each deletes one batch and answers true when the batch was full: it goes again on the next turn, so a
   * backlog is cleared batch by batch with sends and acks between them, never in one long hold of the lock.
   */
  readonly sweeps = new Map<string, () => boolean>();

  constructor(
    readonly path: string,
    private readonly options: FileOptions,
  ) {
    if (path !== ':memory:') {
      checkHeader(path);
      checkWritable(path);
    }
    let db: Db | undefined;
    try {
      db = new Database(path, { timeout: options.busyTimeoutMs });
      // WAL: readers never block the writer nor the reverse, and a commit is one append to the log.
      const wal = db;
      untilNotBusy(() => wal.pragma('journal_mode = WAL'), options.busyTimeoutMs);
      db.pragma(`synchronous = ${options.synchronous.toUpperCase()}`);
      db.pragma('cache_size = -65536');
      db.pragma('wal_autocheckpoint = 8000');
      migrate(db, path);
      // Take the write lock and write the header once, rolled back, so a file held by another program fails here, by
      // name, not at the first send; so does one that cannot be written, which SQLite opens read-only without a word.
      db.exec(`BEGIN IMMEDIATE; PRAGMA user_version = ${schemaVersion}; ROLLBACK`);
      this.version = db.pragma('data_version', { simple: true }) as number;
      // From here on the write batch does the waiting for the lock, without blocking the event loop; the few writes
      // outside it wait through waiting().
      db.pragma('busy_timeout = 0');
    } catch (err) {
      db?.close();
      throw sqliteError(err, path, 'open');
    }
    this.db = db;
    this.revisions = new Revisions(db);
    this.batch = new WriteBatch(db, options.busyTimeoutMs, this.revisions);
    this.waitOn = db.prepare(`PRAGMA busy_timeout = ${Math.floor(options.busyTimeoutMs)}`);
    this.waitOff = db.prepare('PRAGMA busy_timeout = 0');
    this.pollMs = options.pollMinMs;
    this.housekeeping = setInterval(() => {
      for (const [name, sweep] of this.sweeps) this.sweep(name, sweep);
    }, 5_000);
    this.housekeeping.unref();
  }

  /**
   * Runs `work` in this tick's write transaction (write-batch.ts); a failure is a TransportError saying `what` failed.
   * `work` must be a transaction function (or one statement), so that it rolls back alone.
   */
  write<T>(what: string, work: () => T): Promise<T> {
    return this.batch.add(work).catch((err: unknown) => {
      throw sqliteError(err, this.path, what);
    });
  }

  private sweep(name: string, sweep: () => boolean): void {
    this.write(`sweep ${name}`, sweep).then(
      (more) => {
        if (more && this.refs > 0) setImmediate(() => this.sweep(name, sweep));
      },
      // A sweep that fails (the file busy past busyTimeoutMs) is tried again at the next interval.
      () => undefined,
    );
  }

  /** Runs a transaction outside the write batch (rare: handing back on stop), waiting for the lock up to busyTimeoutMs. */
  waiting<T>(work: () => T): T {
    this.waitOn.get();
    try {
      return work();
    } finally {
      this.waitOff.get();
    }
  }

  /** The longest this process takes to notice another's commit. */
  get pollMaxMs(): number {
    return this.options.pollMaxMs;
  }

  /** A prepared statement, made once per file. */
  stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) this.statements.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  /** Listens for changes; while any listener is there, the file is polled for other processes' commits. */
  listen(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    this.arm();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.pollTimer) {
        clearTimeout(this.pollTimer);
        this.pollTimer = undefined;
      }
    };
  }

  /** This process committed a change of `kind`: every transport on the file hears of it on the next turn. */
  touched(kind: ChangeKind): void {
    this.pending.add(kind);
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    setImmediate(this.notify);
  }

  private readonly notify = () => {
    this.notifyScheduled = false;
    const kinds = [...this.pending];
    this.pending.clear();
    const kind: ChangeKind = kinds.length === 1 ? kinds[0] : 'all';
    for (const l of [...this.listeners]) l.changed(kind);
  };

  private arm(): void {
    if (this.pollTimer || this.listeners.size === 0) return;
    this.pollTimer = setTimeout(this.poll, this.pollMs);
  }

  private readonly poll = () => {
    this.pollTimer = undefined;
    let version: number;
    try {
      version = this.db.pragma('data_version', { simple: true }) as number;
    } catch {
      // Busy or closing: look again at the next tick.
      version = this.version;
    }
    if (version !== this.version) {
      this.version = version;
      this.pollMs = this.options.pollMinMs;
      this.touched('all');
    } else {
      this.pollMs = Math.min(this.pollMs * 2, this.options.pollMaxMs);
    }
    this.arm();
  };

  /** Gives back one `acquire`; the last one closes the connection. */
  release(): void {
    if (--this.refs > 0) return;
    files.delete(this.path);
    this.batch.flush();
    if (this.pollTimer) clearTimeout(this.pollTimer);
    clearInterval(this.housekeeping);
    this.listeners.clear();
    this.db.close();
  }
}
