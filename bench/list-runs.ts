/**
 * `npm run bench:list-runs`: what a page of `listRuns` costs on Redis, NATS
 * and SQLite with many stored runs, next to the scan of every record it
 * replaced, in one run.
 *
 *   node dist/bench/list-runs.js [--runs 1000000] [--scan-runs 10000] [--samples 50] [--only redis,nats,sqlite]
 *
 * Each transport gets a namespace filled in bulk (bench/lib/run-loaders.ts):
 * four functions, 2% of runs failed. Measured through `runtime.listRuns` with
 * a page of 50: every run, one function's runs, and one function's failed
 * runs, each as the first page and as a page from a cursor halfway down.
 * The scan (store.keys, then every record read, filtered and sorted, as
 * `listRuns` did) runs on `--scan-runs` runs, beside the index on the same
 * namespace; at a million runs it would take minutes per query.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, runCursor, silentLogger, type Runtime } from '../index.js';
import { decodeRecord } from '../core/codec/record.js';
import type { Transport } from '../core/transport.js';
import type { RunRecord, RunStatus } from '../core/types.js';
import { createNatsTransport, destroyNamespace as destroyNats } from '../transports/nats/index.js';
import { createRedisTransport, destroyNamespace as destroyRedis } from '../transports/redis/index.js';
import { createSqliteTransport } from '../transports/sqlite/index.js';
import { benchRun, loadNats, loadRedis, loadSqlite } from './lib/run-loaders.js';
import { distribution, fmtUs, table } from './lib/stats.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? String(args[i + 1]) : fallback;
};
const runs = Number(flag('runs', '1000000'));
const scanRuns = Number(flag('scan-runs', '10000'));
const samples = Number(flag('samples', '50'));
const only = new Set(flag('only', 'redis,nats,sqlite').split(','));
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const page = 50;

interface Query {
  label: string;
  functionId?: string;
  status?: RunStatus;
  /** Whether run i is in the query's result. */
  has: (i: number) => boolean;
}

const queries: Query[] = [
  { label: 'every run', has: () => true },
  { label: 'one function', functionId: 'fn-1', has: (i) => i % 4 === 1 },
  { label: 'one function, failed', functionId: 'fn-1', status: 'failed', has: (i) => i % 4 === 1 && i % 50 === 1 },
];

/** A cursor halfway down the query's newest-first list of a load of `n`. */
function middleCursor(q: Query, n: number, now: number): string {
  let seen = 0;
  let total = 0;
  for (let i = 0; i < n; i++) if (q.has(i)) total++;
  for (let i = n - 1; i >= 0; i--) {
    if (!q.has(i)) continue;
    if (++seen >= total / 2) return runCursor(benchRun(i, n, now));
  }
  throw new Error(`no run matches "${q.label}"`);
}

/** What `listRuns` did before the indexes: every record of the namespace read, filtered, sorted. */
async function scan(t: Transport, q: Query, limit: number): Promise<RunRecord[]> {
  const keys = await t.store.keys('run.');
  const out: RunRecord[] = [];
  for (let i = 0; i < keys.length; i += 64) {
    const got = await Promise.all(keys.slice(i, i + 64).map((k) => t.store.get(k)));
    for (const s of got) {
      if (!s) continue;
      const r = decodeRecord(s.value);
      if (q.functionId && r.functionId !== q.functionId) continue;
      if (q.status && r.status !== q.status) continue;
      out.push(r);
    }
  }
  out.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
  return out.slice(0, limit);
}

async function time(n: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    us.push((performance.now() - t0) * 1_000);
  }
  return distribution(us).p50;
}

interface Setup {
  name: string;
  transport: (namespace: string) => Transport;
  load: (namespace: string, n: number, now: number) => Promise<void>;
  cleanup: (namespace: string) => Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), 'eventide-list-runs-'));
const setups: Setup[] = [
  {
    name: 'redis',
    transport: (namespace) => createRedisTransport({ url: redisUrl, namespace }),
    load: (namespace, n, now) => loadRedis(redisUrl, namespace, n, now),
    cleanup: async (namespace) => void (await destroyRedis(redisUrl, namespace)),
  },
  {
    name: 'nats',
    transport: (namespace) => createNatsTransport({ url: natsUrl, namespace, storage: 'file' }),
    load: (namespace, n, now) => loadNats(natsUrl, namespace, n, now),
    cleanup: (namespace) => destroyNats(natsUrl, namespace),
  },
  {
    name: 'sqlite',
    transport: (namespace) => createSqliteTransport({ path: join(dir, `${namespace}.db`), namespace }),
    load: async (namespace, n, now) => loadSqlite(join(dir, `${namespace}.db`), namespace, n, now),
    cleanup: async (namespace) => rmSync(join(dir, `${namespace}.db`), { force: true }),
  },
];

interface Row {
  transport: string;
  runs: number;
  query: string;
  first: number;
  deep: number;
  scan?: number;
}

async function measure(s: Setup, n: number, withScan: boolean): Promise<Row[]> {
  const namespace = `bench_lr_${process.pid}_${n}`;
  const now = Date.now();
  const t = s.transport(namespace);
  const rows: Row[] = [];
  let rt: Runtime | undefined;
  try {
    await t.connect();
    const t0 = performance.now();
    await s.load(namespace, n, now);
    process.stderr.write(`  ${s.name}: ${n} runs stored in ${((performance.now() - t0) / 1_000).toFixed(1)} s\n`);
    rt = createRuntime({ transport: t, namespace, worker: false, logger: silentLogger, functions: [] });
    await rt.start();
    const reader = rt;
    for (const q of queries) {
      const query = { functionId: q.functionId, status: q.status, limit: page };
      const cursor = middleCursor(q, n, now);
      let matching = 0;
      for (let i = 0; i < n; i++) if (q.has(i)) matching++;
      const expected = Math.min(page, matching);
      const got = await reader.listRuns(query);
      if (got.length !== expected || !got.every((r) => q.has(Number.parseInt(r.id.slice(9), 36))))
        throw new Error(`${s.name}: "${q.label}" answered ${got.length} runs, not the ${expected} expected`);
      const first = await time(samples, () => reader.listRuns(query));
      const deep = await time(samples, () => reader.listRuns({ ...query, cursor }));
      const scanned = withScan ? await time(Math.min(samples, 5), () => scan(t, q, page)) : undefined;
      rows.push({ transport: s.name, runs: n, query: q.label, first, deep, scan: scanned });
    }
  } finally {
    await rt?.stop({ timeoutMs: 1_000 });
    await t.close().catch(() => undefined);
    await s.cleanup(namespace);
  }
  return rows;
}

const rows: Row[] = [];
try {
  for (const s of setups) {
    if (!only.has(s.name)) continue;
    rows.push(...(await measure(s, scanRuns, true)));
    if (runs > scanRuns) rows.push(...(await measure(s, runs, false)));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\nlistRuns, a page of ${page}: p50 over ${samples} pages (the scan over 5), runs stored in bulk\n`);
console.log(
  table([
    ['transport', 'runs', 'query', 'first page', 'page from a cursor', 'scan of every record', 'scan ÷ first page'],
    ...rows.map((r) => [
      r.transport,
      r.runs.toLocaleString('en-US'),
      r.query,
      fmtUs(r.first),
      fmtUs(r.deep),
      r.scan === undefined ? '—' : fmtUs(r.scan),
      r.scan === undefined ? '—' : `${(r.scan / r.first).toFixed(0)}×`,
    ]),
  ]),
);
