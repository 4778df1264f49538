/**
 * @module
 * The file's schema, versioned with `PRAGMA user_version`. Each migration
 * takes the file from version i to i + 1; a process applies the missing ones
 * inside one `BEGIN IMMEDIATE` transaction, so two processes opening a new
 * file at once never both migrate it. A file written by a newer eventide
 * (a version this code does not know) is refused rather than misread.
 *
 * Every table carries the namespace as the first column of its keys, so
 * namespaces share a file and every query of one namespace is an index range.
 */
import type { Database } from 'better-sqlite3';
import { TransportError } from '../../core/transport.js';

const migrations: string[] = [
  // 0 → 1
  `
  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ns TEXT NOT NULL,
    subject TEXT NOT NULL,
    msg_id TEXT,
    data BLOB NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE INDEX messages_by_subject ON messages (ns, subject, seq);

  CREATE TABLE dedup (
    ns TEXT NOT NULL,
    subject TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (ns, subject, msg_id)
  ) WITHOUT ROWID;
  CREATE INDEX dedup_by_expiry ON dedup (expires_at);

  CREATE TABLE groups (
    ns TEXT NOT NULL,
    subject TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (ns, subject, name)
  ) WITHOUT ROWID;

  -- One row per message a group has not settled. available_at is when it may be claimed: the publish's delay, a
  -- retry's delay, or the end of a claim's lease (so a lapsed claim is claimable again with no sweeper).
  -- Members of a group alive in some process (seen_at renewed every few seconds), so each takes its share of a backlog.
  CREATE TABLE members (
    ns TEXT NOT NULL,
    subject TEXT NOT NULL,
    grp TEXT NOT NULL,
    member TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (ns, subject, grp, member)
  ) WITHOUT ROWID;

  CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ns TEXT NOT NULL,
    subject TEXT NOT NULL,
    grp TEXT NOT NULL,
    msg_seq INTEGER NOT NULL,
    delivery_count INTEGER NOT NULL DEFAULT 0,
    available_at INTEGER NOT NULL,
    owner TEXT
  );
  CREATE INDEX deliveries_claimable ON deliveries (ns, subject, grp, available_at);
  CREATE INDEX deliveries_by_message ON deliveries (msg_seq);

  CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ns TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    grp TEXT NOT NULL,
    reason TEXT NOT NULL,
    data BLOB NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE INDEX dead_letters_by_ns ON dead_letters (ns, id);

  -- A rowid table, not WITHOUT ROWID: values (run records) are large, and a WITHOUT ROWID table keeps them in its key's
  -- b-tree, where every write moves more pages. The unique index is what keys(prefix) reads, as a range.
  CREATE TABLE kv (
    id INTEGER PRIMARY KEY,
    ns TEXT NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    revision INTEGER NOT NULL,
    expires_at INTEGER
  );
  CREATE UNIQUE INDEX kv_by_key ON kv (ns, key);
  CREATE INDEX kv_by_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL;

  CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO counters (name, value) VALUES ('revision', 0);

  CREATE TABLE broadcasts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ns TEXT NOT NULL,
    channel TEXT NOT NULL,
    data BLOB NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE INDEX broadcasts_by_channel ON broadcasts (ns, channel, seq);
  CREATE INDEX broadcasts_by_age ON broadcasts (at);

  CREATE TABLE slot_keys (
    ns TEXT NOT NULL,
    key TEXT NOT NULL,
    lim INTEGER NOT NULL,
    PRIMARY KEY (ns, key)
  ) WITHOUT ROWID;
  CREATE TABLE slot_holders (
    ns TEXT NOT NULL,
    key TEXT NOT NULL,
    holder TEXT NOT NULL,
    lease_until INTEGER NOT NULL,
    PRIMARY KEY (ns, key, holder)
  ) WITHOUT ROWID;
  CREATE INDEX slot_holders_by_lease ON slot_holders (ns, lease_until);
  CREATE TABLE slot_waiters (
    arrival INTEGER PRIMARY KEY AUTOINCREMENT,
    ns TEXT NOT NULL,
    key TEXT NOT NULL,
    holder TEXT NOT NULL,
    priority REAL NOT NULL,
    lease_ms INTEGER NOT NULL,
    subject TEXT NOT NULL,
    data BLOB NOT NULL,
    UNIQUE (ns, key, holder)
  );
  CREATE INDEX slot_waiters_in_order ON slot_waiters (ns, key, priority DESC, arrival);

  CREATE TABLE rates (
    ns TEXT NOT NULL,
    key TEXT NOT NULL,
    tat REAL NOT NULL,
    PRIMARY KEY (ns, key)
  ) WITHOUT ROWID;
  `,
  // 1 → 2: sorted listings of stored values (core/transport-index.ts); a page is a range of the primary key,
  // and a value's rows are found by its key when it is written again, deleted or swept.
  `
  CREATE TABLE listings (
    ns TEXT NOT NULL,
    idx TEXT NOT NULL,
    member TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (ns, idx, member)
  ) WITHOUT ROWID;
  CREATE INDEX listings_by_key ON listings (ns, key);
  `,
];

/** The schema version this code writes and reads. */
export const schemaVersion = migrations.length;

/** Brings the file up to `schemaVersion`, or refuses a file from a newer version. */
export function migrate(db: Database, path: string): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  const tooNew = (found: number) =>
    new TransportError(
      `sqlite transport: ${path} has schema version ${found}, newer than this eventide knows (${schemaVersion}); upgrade eventide, or point it at another file`,
      { code: 'SCHEMA_TOO_NEW' },
    );
  // Read first without the write lock: an up-to-date file (every open but the first) takes no lock at all.
  const seen = version();
  if (seen > schemaVersion) throw tooNew(seen);
  if (seen === schemaVersion) return;
  db.transaction(() => {
    const now = version();
    if (now > schemaVersion) throw tooNew(now);
    for (let v = now; v < schemaVersion; v++) db.exec(migrations[v]);
    db.pragma(`user_version = ${schemaVersion}`);
  }).immediate();
}
