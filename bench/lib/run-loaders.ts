/**
 * @module
 * Stores many run records at once, with their listings, straight into a
 * transport's own layout (Redis pipelines, one SQLite transaction per batch,
 * pipelined JetStream publishes), so the run-query benchmark can fill a
 * namespace with 1,000,000 runs in a minute or two instead of running them.
 * Each loader writes exactly what the transport's store writes for a record
 * with a listing; the benchmark then reads through `listRuns`.
 */
import Database from 'better-sqlite3';
import { connect, headers } from 'nats';
import { Redis } from 'ioredis';
import { encodeRecord } from '../../core/codec/record.js';
import { persistedSnapshot } from '../../core/run-machine.js';
import { runListing, runMember } from '../../core/run-index.js';
import { runKey } from '../../core/run-record.js';
import type { RunRecord, RunStatus } from '../../core/types.js';
import { listingHeader } from '../../transports/nats/kv.js';
import { namesFor } from '../../transports/nats/names.js';
import { indexToken, partToken, SNAPSHOT } from '../../transports/nats/sorted-index.js';
import { Keys } from '../../transports/redis/keys.js';
import { packListing } from '../../transports/redis/store.js';

export const functions = ['fn-0', 'fn-1', 'fn-2', 'fn-3'];
/** Runs are 10 ms apart, the newest just before the load starts. */
const spacingMs = 10;

/** Run `i` of a load of `n`: function i mod 4, failed when i ≡ 1 (mod 50), else succeeded; run i + 1 is newer. */
export function benchRun(i: number, n: number, now: number): RunRecord {
  const status: RunStatus = i % 50 === 1 ? 'failed' : 'succeeded';
  const createdAt = now - (n - i) * spacingMs;
  const eventId = `evt_${i.toString(36).padStart(8, '0')}`;
  return {
    id: `run_bench${i.toString(36).padStart(8, '0')}`,
    functionId: functions[i % functions.length],
    eventId,
    event: { id: eventId, name: 'bench/run', data: { i }, ts: createdAt },
    status,
    attempt: 1,
    steps: {},
    logs: [],
    logsDropped: 0,
    createdAt,
    updatedAt: createdAt + 5,
    endedAt: createdAt + 5,
    ...(status === 'failed' ? { error: { name: 'Error', message: 'bench failure' } } : {}),
    machine: persistedSnapshot(status),
  };
}

const batch = 5_000;

export async function loadRedis(url: string, namespace: string, n: number, now: number): Promise<void> {
  const redis = new Redis(url);
  const k = new Keys(namespace);
  try {
    for (let from = 0; from < n; from += batch) {
      const p = redis.pipeline();
      for (let i = from; i < Math.min(n, from + batch); i++) {
        const r = benchRun(i, n, now);
        const key = runKey(r.id);
        const listing = runListing(r);
        p.hset(k.kv(key), 'v', Buffer.from(encodeRecord(r)), 'r', i + 1);
        p.zadd(k.kvIndex, 0, key);
        p.hset(k.listings, key, packListing(listing) as Buffer);
        for (const index of listing.in) p.zadd(k.indexPrefix + index, 0, listing.member);
      }
      await p.exec();
    }
    await redis.set(k.kvSeq, n + 1);
  } finally {
    redis.disconnect();
  }
}

/** The transport has opened the file first (its schema is in place). */
export function loadSqlite(path: string, namespace: string, n: number, now: number): void {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const kv = db.prepare(`INSERT INTO kv (ns, key, value, revision, expires_at) VALUES (?, ?, ?, ?, NULL)`);
    const listed = db.prepare(`INSERT INTO listings (ns, idx, member, key) VALUES (?, ?, ?, ?)`);
    const load = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const r = benchRun(i, n, now);
        const key = runKey(r.id);
        const listing = runListing(r);
        kv.run(namespace, key, Buffer.from(encodeRecord(r)), i + 1);
        for (const index of listing.in) listed.run(namespace, index, listing.member, key);
      }
    });
    for (let from = 0; from < n; from += batch) load(from, Math.min(n, from + batch));
    db.prepare(`UPDATE counters SET value = MAX(value, ?) WHERE name = 'revision'`).run(n + 1);
  } finally {
    db.close();
  }
}

/**
 * Records as KV entries carrying their listing, and each index as the snapshots a reader would roll it up
 * into (leaf, directory, top; see transports/nats/sorted-index.ts). Every index but the per-event ones: those
 * are a tree of their own per event (three subjects each), which no query of this benchmark reads.
 */
export async function loadNats(url: string, namespace: string, n: number, now: number): Promise<void> {
  const names = namesFor(namespace);
  const nc = await connect({ servers: url, noAsyncTraces: true });
  const js = nc.jetstream();
  const inFlight = new Set<Promise<unknown>>();
  const publish = async (subject: string, data: Uint8Array, h?: ReturnType<typeof headers>) => {
    while (inFlight.size >= 2_000) await Promise.race(inFlight);
    const p = js.publish(subject, data, h ? { headers: h } : undefined).finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const trees = new Map<string, Map<string, Map<string, string[]>>>();
  try {
    for (let i = 0; i < n; i++) {
      const r = benchRun(i, n, now);
      const listing = runListing(r);
      const h = headers();
      h.set('Eventide-Listing', listingHeader(listing));
      await publish(names.kvPrefix + runKey(r.id), encodeRecord(r), h);
      const member = runMember(r.createdAt, r.id);
      for (const index of listing.in) {
        if (index.startsWith('e:')) continue;
        let dirs = trees.get(index);
        if (!dirs) trees.set(index, (dirs = new Map<string, Map<string, string[]>>()));
        let leaves = dirs.get(member.slice(0, 7));
        if (!leaves) dirs.set(member.slice(0, 7), (leaves = new Map<string, string[]>()));
        let members = leaves.get(member.slice(0, 10));
        if (!members) leaves.set(member.slice(0, 10), (members = []));
        members.push(member);
      }
    }
    const enc = new TextEncoder();
    const snapshot = (members: Iterable<string>) => enc.encode([...members].sort().join('\n'));
    for (const [index, dirs] of trees) {
      const base = `${names.indexPrefix}${indexToken(index)}`;
      for (const [p7, leaves] of dirs) {
        for (const [p10, members] of leaves) {
          const h = headers();
          h.set(SNAPSHOT, '1');
          await publish(`${base}.l.${partToken(p10)}`, snapshot(members), h);
        }
        const h = headers();
        h.set(SNAPSHOT, '1');
        await publish(`${base}.d.${partToken(p7)}`, snapshot(leaves.keys()), h);
      }
      const h = headers();
      h.set(SNAPSHOT, '1');
      await publish(`${base}.t`, snapshot(dirs.keys()), h);
    }
    await Promise.all(inFlight);
  } finally {
    await nc.close();
  }
}
