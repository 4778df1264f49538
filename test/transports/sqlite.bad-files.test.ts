/**
 * A database file the SQLite transport cannot use safely is refused at
 * connect with a TransportError whose code says why, and nothing is
 * written to it: truncated, not a database, held by another program,
 * from a newer schema, or in a place that cannot be opened.
 */
import { fork } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../core/transport.js';
import { createSqliteTransport, schemaVersion, type SqliteTransport } from '../../transports/sqlite/index.js';
import { fileFor, removeFile } from './sqlite.fixture.js';

let counter = 0;
const files: string[] = [];
const dirs: string[] = [];
const opened: SqliteTransport[] = [];
const enc = (s: string) => new TextEncoder().encode(s);

afterEach(async () => {
  for (const t of opened.splice(0)) await t.close();
  for (const f of files.splice(0)) await removeFile(f);
  for (const d of dirs.splice(0)) {
    chmodSync(d, 0o777);
    rmSync(d, { recursive: true, force: true });
  }
});

/**
 * Where these tests run as root, which writes through file modes, the other process runs without the capabilities
 * that let it (setpriv, from util-linux), so the modes of root's own files hold for it; without setpriv, as another
 * user (which then needs to reach the checkout).
 */
function withoutRootsOverride(): { execPath?: string; execArgv?: string[]; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  if (!setpriv) return { uid: 65534, gid: 65534 };
  return { execPath: setpriv, execArgv: ['--bounding-set=-dac_override,-dac_read_search', process.execPath] };
}

/** What opening `path` and sending one event did in another process that file modes bind. */
function openElsewhere(path: string): Promise<{ ok?: true; error?: { name: string; code: string; message: string } }> {
  const child = fork(join(import.meta.dirname, '../fixtures/open-sqlite.mjs'), [], {
    env: { ...process.env, SQLITE_PATH: path },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...withoutRootsOverride(),
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the other process said nothing within 15 s'));
    }, 15_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as { ok?: true; error?: { name: string; code: string; message: string } });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the other process exited with ${code} without a word`));
    });
  });
}

/** A file holding five events in a directory of its own that anyone may enter (another user among them). */
async function sharedFileWithEvents(): Promise<{ dir: string; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'eventide-sqlite-ro-'));
  dirs.push(dir);
  chmodSync(dir, 0o777);
  const path = join(dir, 'eventide.db');
  const t = createSqliteTransport({ path, namespace: 'app' });
  await t.connect();
  for (let i = 0; i < 5; i++) await t.publish('events', enc(`e${i}`), { msgId: `e${i}` });
  await t.close();
  chmodSync(path, 0o666);
  return { dir, path };
}

function fresh(): string {
  const path = fileFor(`bad_${process.pid}_${counter++}`);
  files.push(path);
  return path;
}

async function connect(path: string, busyTimeoutMs = 5_000): Promise<SqliteTransport> {
  const t = createSqliteTransport({ path, namespace: 'app', busyTimeoutMs });
  opened.push(t);
  await t.connect();
  return t;
}

/** A file holding `n` events of about 2 KB each, closed cleanly (its WAL folded in). */
async function fileWithEvents(n: number): Promise<string> {
  const path = fresh();
  const t = createSqliteTransport({ path, namespace: 'app' });
  await t.connect();
  for (let i = 0; i < n; i++) await t.publish('events', enc(`e${i}`.padEnd(2_000, '.')), { msgId: `e${i}` });
  await t.close();
  return path;
}

async function refused(path: string, code: string, busyTimeoutMs?: number): Promise<TransportError> {
  const err = await connect(path, busyTimeoutMs).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TransportError);
  expect((err as TransportError).code).toBe(code);
  expect((err as TransportError).message).toContain(path);
  return err as TransportError;
}

describe('sqlite transport: files it must not use', () => {
  it('refuses a truncated file and leaves it as it was', async () => {
    const path = await fileWithEvents(200);
    const full = readFileSync(path);
    truncateSync(path, Math.floor(full.length / 2));
    const before = readFileSync(path);
    const err = await refused(path, 'CORRUPT');
    expect(err.message).toMatch(/truncated/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a file cut inside its header, and one that is not a database', async () => {
    const cut = await fileWithEvents(3);
    truncateSync(cut, 50);
    await refused(cut, 'CORRUPT');
    const other = fresh();
    writeFileSync(other, Buffer.alloc(8_192, 7));
    const err = await refused(other, 'CORRUPT');
    expect(err.message).toMatch(/not a SQLite database/);
    expect(readFileSync(other).equals(Buffer.alloc(8_192, 7))).toBe(true);
  });

  it('names a file another program holds locked, and opens it with everything committed once the lock is gone', async () => {
    const path = await fileWithEvents(5);
    const other = new Database(path);
    try {
      other.exec('BEGIN EXCLUSIVE');
      const started = Date.now();
      const err = await refused(path, 'LOCKED', 200);
      expect(err.message).toMatch(/locked/);
      expect(Date.now() - started).toBeLessThan(5_000);
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    const t = await connect(path);
    expect((await t.history('events', 10)).map((h) => h.id)).toEqual(['e4', 'e3', 'e2', 'e1', 'e0']);
  });

  it('reports pages damaged inside a whole file as CORRUPT from the read that meets them, never as data', async () => {
    const path = await fileWithEvents(200);
    // Its header is whole, so it opens; three pages in the middle of the messages are overwritten.
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(3 * 4_096, 0xab), 0, 3 * 4_096, Math.floor(statSync(path).size / 2 / 4_096) * 4_096);
    closeSync(fd);
    const t = await connect(path);
    const err = await t.history('events', 300).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('CORRUPT');
    expect((err as TransportError).message).toMatch(/restore it from a backup/);
  });

  it('refuses a file this process cannot write, leaves nothing beside it, and opens it with everything once it can', async () => {
    const { dir, path } = await sharedFileWithEvents();
    const before = readFileSync(path);
    chmodSync(path, 0o444);
    const said = await openElsewhere(path);
    expect(said.error).toMatchObject({ name: 'TransportError', code: 'READ_ONLY' });
    expect(said.error!.message).toContain(path);
    expect(said.error!.message).toMatch(/the file is read-only/);
    expect(readFileSync(path).equals(before)).toBe(true);
    // No -wal or -shm made with the file's read-only mode, which would keep it read-only once it is writable again.
    expect(readdirSync(dir)).toEqual(['eventide.db']);
    chmodSync(path, 0o666);
    expect(await openElsewhere(path)).toEqual({ ok: true });
    const t = await connect(path);
    expect((await t.history('events', 10)).map((h) => h.id)).toEqual(['other', 'e4', 'e3', 'e2', 'e1', 'e0']);
  });

  it('refuses a file in a directory this process cannot write (where its -wal and -shm files go)', async () => {
    const { dir, path } = await sharedFileWithEvents();
    chmodSync(dir, 0o555);
    const said = await openElsewhere(path);
    expect(said.error).toMatchObject({ name: 'TransportError', code: 'READ_ONLY' });
    expect(said.error!.message).toContain(`directory ${dir}`);
    expect(existsSync(`${path}-wal`)).toBe(false);
    chmodSync(dir, 0o777);
    const t = await connect(path);
    expect(await t.history('events', 10)).toHaveLength(5);
  });

  it('rejects a send while another program holds the lock past busyTimeoutMs, and loses nothing committed', async () => {
    const path = await fileWithEvents(3);
    const t = await connect(path, 200);
    const other = new Database(path);
    try {
      other.exec('BEGIN EXCLUSIVE');
      const err = await t.publish('events', enc('refused'), { msgId: 'refused' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe('LOCKED');
      expect((err as TransportError).message).toContain(path);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await t.publish('events', enc('after'), { msgId: 'after' });
    expect((await t.history('events', 10)).map((h) => h.id)).toEqual(['after', 'e2', 'e1', 'e0']);
  });

  it('refuses a file from a newer schema without touching it', async () => {
    const path = await fileWithEvents(1);
    const raw = new Database(path);
    raw.pragma(`user_version = ${schemaVersion + 1}`);
    raw.close();
    const err = await refused(path, 'SCHEMA_TOO_NEW');
    expect(err.message).toMatch(/newer/);
    const again = new Database(path, { readonly: true });
    expect(again.pragma('user_version', { simple: true })).toBe(schemaVersion + 1);
    again.close();
  });

  it('says a file in a missing directory cannot be opened', async () => {
    await refused(`${fresh()}.missing/eventide.db`, 'CANNOT_OPEN');
  });

  it('gives the file its schema once, and a second open (another process, or this one later) keeps it', async () => {
    const path = fresh();
    const t = await connect(path);
    await t.store.create('k', enc('v'));
    await t.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(schemaVersion);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
    const again = await connect(path);
    expect(new TextDecoder().decode((await again.store.get('k'))!.value)).toBe('v');
  });
});
