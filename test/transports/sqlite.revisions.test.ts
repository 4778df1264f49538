/**
 * Revisions of the SQLite store are taken from one counter per file, read
 * once per write batch and written back before its commit: writes of one
 * tick get distinct, growing revisions, one that fails alone takes nothing
 * from the others, and the counter on disk is past every revision handed
 * out, so another connection (another process) never hands one out again.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteTransport, type SqliteTransport } from '../../transports/sqlite/index.js';
import { fileFor, removeFile } from './sqlite.fixture.js';

const enc = (s: string) => new TextEncoder().encode(s);
const path = fileFor(`revisions_${process.pid}`);
const opened: SqliteTransport[] = [];

afterEach(async () => {
  for (const t of opened.splice(0)) await t.close();
  await removeFile(path);
});

async function open(): Promise<SqliteTransport> {
  const t = createSqliteTransport({ path, namespace: 'app' });
  opened.push(t);
  await t.connect();
  return t;
}

const onDisk = () => {
  const raw = new Database(path, { readonly: true });
  try {
    return raw.prepare(`SELECT value FROM counters WHERE name = 'revision'`).pluck().get() as number;
  } finally {
    raw.close();
  }
};

describe('sqlite store revisions', () => {
  it('gives the writes of one batch distinct, growing revisions, and saves the counter past them', async () => {
    const t = await open();
    const first = await t.store.create('a', enc('1'));
    // One tick: these travel in one transaction, and the update with a stale revision fails alone.
    const [b, stale, c] = await Promise.all([
      t.store.create('b', enc('1')),
      t.store.update('a', enc('2'), 999_999),
      t.store.create('c', enc('1')),
    ]);
    expect(stale).toBeUndefined();
    expect(first).toBeDefined();
    expect(b! > first!).toBe(true);
    expect(c! > b!).toBe(true);
    expect(onDisk()).toBeGreaterThanOrEqual(c!);
    // Each revision handed out works for compare-and-set.
    const [a2, b2, c2] = await Promise.all([
      t.store.update('a', enc('2'), first!),
      t.store.update('b', enc('2'), b!),
      t.store.update('c', enc('2'), c!),
    ]);
    expect(new Set([a2, b2, c2]).size).toBe(3);
    expect(Math.min(a2!, b2!, c2!)).toBeGreaterThan(c!);
    expect(onDisk()).toBeGreaterThanOrEqual(Math.max(a2!, b2!, c2!));
  });

  it('goes on above every revision another connection took, after it wrote the counter', async () => {
    const t = await open();
    const a = await t.store.create('a', enc('1'));
    // Another connection (as another process would) takes revisions of its own.
    const other = new Database(path);
    const taken = other.prepare(`UPDATE counters SET value = value + 10 WHERE name = 'revision' RETURNING value`).pluck().get() as number;
    other.close();
    expect(taken).toBeGreaterThan(a!);
    const b = await t.store.create('b', enc('1'));
    expect(b).toBeGreaterThan(taken);
  });
});
