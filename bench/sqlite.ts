/**
 * `npm run bench:sqlite`: the SQLite transport next to better-sqlite3 alone,
 * in one run, on one temporary file per case.
 *
 *   node dist/bench/sqlite.js [--events 10000] [--samples 300]
 *
 * - floor: the statements a publish runs (message row, one delivery row per
 *   group) in one BEGIN IMMEDIATE transaction, by better-sqlite3 alone,
 *   sequentially; then `send()` of a producer runtime on the same schema;
 * - event → function start, one event at a time, in one process and with
 *   the worker in another process (high-resolution clocks of one host);
 * - one-step runs/s with the worker in this process, in one other process,
 *   and in two other processes sharing the file, each also as a share of a
 *   floor: the statements of the same runs by better-sqlite3 alone;
 * - broadcast → watch across processes (what `runtime.on('run')` in a
 *   process that runs nothing waits for, before the core's own 5 ms window).
 *
 * The machine is shared and noisy: compare figures measured side by side.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createRuntime, defineFunction, silentLogger, type Runtime } from '../index.js';
import { createSqliteTransport } from '../transports/sqlite/index.js';
import { distribution, fmtRate, fmtUs, table, type Distribution } from './lib/stats.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const hrNow = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const self = fileURLToPath(import.meta.url);

/** The function every case runs: one step, and the output says how long after the send it started. */
const oneStep = defineFunction({ id: 'one-step', trigger: { event: 'bench/one' } }, async ({ event, step }) => {
  const startedAfterMs = hrNow() - (event.data as { at: number }).at;
  await step.run('only', () => 1);
  return { startedAfterMs };
});

const worker = (path: string, namespace: string) =>
  createRuntime({ transport: `sqlite://${path}`, namespace, functions: [oneStep], concurrency: 200, logger: silentLogger });

// Child modes: a worker process, or a broadcaster.
if (args[0] === '--child') {
  const [, mode, path, namespace] = args;
  process.on('disconnect', () => process.exit(0));
  if (mode === 'worker') {
    const rt = worker(path, namespace);
    await rt.start();
    process.send?.('ready');
  } else {
    const t = createSqliteTransport({ path, namespace });
    await t.connect();
    process.send?.('ready');
    const gap = Number(args[4]);
    for (let i = 0; i < flag('samples', 300); i++) {
      await t.broadcast('bench', new TextEncoder().encode(String(hrNow())));
      await sleep(gap);
    }
    process.send?.('done');
  }
} else {
  await main();
}

function child(mode: string, path: string, namespace: string, extra: string[] = []): Promise<ChildProcess> {
  const c = fork(self, ['--child', mode, path, namespace, ...extra], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    c.once('message', () => resolve(c));
    c.once('exit', (code) => reject(new Error(`${mode} exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  const events = flag('events', 10_000);
  const samples = flag('samples', 300);
  const dir = mkdtempSync(join(tmpdir(), 'eventide-bench-sqlite-'));
  let n = 0;
  const fresh = () => join(dir, `case${n++}.db`);
  const rows: string[][] = [];
  const log = (s: string) => process.stdout.write(`${s}\n`);
  log(
    `eventide SQLite transport benchmarks — node ${process.version}, ${events} events per throughput case, ${samples} samples per latency`,
  );

  // 1. The floor and send().
  log('· floor: the publish statements by better-sqlite3 alone …');
  const floor = rawPublishFloor(fresh(), samples * 10);
  log('· send() …');
  const send = await sendCost(fresh(), samples * 10);
  rows.push(['publish statements, better-sqlite3 alone (p50 / p99)', `${fmtUs(floor.p50 * 1000)} / ${fmtUs(floor.p99 * 1000)}`]);
  rows.push([
    'send(), producer runtime (p50 / p99)',
    `${fmtUs(send.p50 * 1000)} / ${fmtUs(send.p99 * 1000)}  (${(send.p50 / floor.p50).toFixed(2)}× the floor)`,
  ]);

  // 2. The floor of a one-step run: its statements, batched as eventide batches them, by better-sqlite3 alone.
  log('· floor: the statements of one-step runs by better-sqlite3 alone …');
  const runsFloor = await rawRunsFloor(fresh(), events);
  const ofFloor = (rate: number) => `${fmtRate(rate)}  (${((rate / runsFloor) * 100).toFixed(1)}% of the floor)`;
  rows.push(['one-step runs/s, their statements by better-sqlite3 alone, 100 runs a transaction', fmtRate(runsFloor)]);

  // 3. Start latency and runs/s, in this process.
  log('· in one process …');
  {
    const path = fresh();
    const rt = worker(path, 'bench');
    await rt.start();
    const start = await startLatency(rt, samples);
    const rate = await runsPerSecond(rt, events);
    await rt.stop();
    rows.push(['event → start, one process (p50 / p99)', `${fmtUs(start.p50 * 1000)} / ${fmtUs(start.p99 * 1000)}`]);
    rows.push(['one-step runs/s, one process', ofFloor(rate)]);
  }

  // 4. Workers in other processes.
  for (const workers of [1, 2]) {
    log(`· ${workers} worker process(es) …`);
    const path = fresh();
    const children = await Promise.all(Array.from({ length: workers }, () => child('worker', path, 'bench')));
    const producer = createRuntime({ transport: `sqlite://${path}`, namespace: 'bench', worker: false, logger: silentLogger });
    await producer.start();
    if (workers === 1) {
      const start = await startLatency(producer, samples);
      rows.push(['event → start, worker in another process (p50 / p99)', `${fmtUs(start.p50 * 1000)} / ${fmtUs(start.p99 * 1000)}`]);
    }
    const rate = await runsPerSecond(producer, events);
    rows.push([`one-step runs/s, ${workers} worker process${workers > 1 ? 'es' : ''}`, ofFloor(rate)]);
    await producer.stop();
    for (const c of children) c.kill('SIGTERM');
  }

  // 5. Broadcast → watch across processes, sparse (the poll at its longest) and dense.
  for (const gap of [50, 1]) {
    log(`· broadcast → watch across processes, one every ${gap} ms …`);
    const path = fresh();
    const t = createSqliteTransport({ path, namespace: 'bench' });
    await t.connect();
    const seen: number[] = [];
    await t.watch('bench', (data) => seen.push(hrNow() - Number(new TextDecoder().decode(data))));
    const c = await child('broadcaster', path, 'bench', [String(gap), '--samples', String(samples)]);
    await new Promise((r) => c.once('message', r));
    await sleep(100);
    c.kill();
    await t.close();
    const d = distribution(seen);
    rows.push([`broadcast → watch, another process, one every ${gap} ms (p50 / p99)`, `${fmtUs(d.p50 * 1000)} / ${fmtUs(d.p99 * 1000)}`]);
  }

  rmSync(dir, { recursive: true, force: true });
  log('');
  log(table([['case', 'figure'], ...rows], { alignLeft: 2 }));
}

/** The statements of one publish (message, then a delivery per group) in one immediate transaction, timed one by one (ms). */
function rawPublishFloor(path: string, count: number): Distribution {
  const db = new Database(path, { timeout: 5_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // The transport's own settings, so the floor differs only by eventide's code.
  db.pragma('cache_size = -65536');
  db.pragma('wal_autocheckpoint = 8000');
  db.exec(`CREATE TABLE IF NOT EXISTS m (seq INTEGER PRIMARY KEY AUTOINCREMENT, ns TEXT, subject TEXT, msg_id TEXT, data BLOB, at INTEGER);
    CREATE TABLE IF NOT EXISTS g (ns TEXT, subject TEXT, name TEXT, PRIMARY KEY (ns, subject, name)) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS d (id INTEGER PRIMARY KEY AUTOINCREMENT, ns TEXT, subject TEXT, grp TEXT, msg_seq INTEGER, delivery_count INTEGER DEFAULT 0, available_at INTEGER, owner TEXT);
    CREATE INDEX IF NOT EXISTS d_claimable ON d (ns, subject, grp, available_at);
    CREATE INDEX IF NOT EXISTS d_by_message ON d (msg_seq);
    CREATE INDEX IF NOT EXISTS m_by_subject ON m (ns, subject, seq);
    INSERT OR IGNORE INTO g VALUES ('bench', 'events', 'one-step');`);
  const message = db.prepare(`INSERT INTO m (ns, subject, msg_id, data, at) VALUES (?, ?, ?, ?, ?)`);
  const deliveries = db.prepare(
    `INSERT INTO d (ns, subject, grp, msg_seq, available_at) SELECT ns, subject, name, ?, ? FROM g WHERE ns = ? AND subject = ?`,
  );
  const publish = db.transaction((id: string, data: Buffer) => {
    const now = Date.now();
    const seq = message.run('bench', 'events', id, data, now).lastInsertRowid;
    deliveries.run(seq, now, 'bench', 'events');
  });
  const data = Buffer.alloc(125, 7);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    publish.immediate(`id${i}`, data);
    times.push(performance.now() - t);
  }
  db.close();
  return distribution(times.slice(Math.floor(count / 10)));
}

/**
 * Runs/s of the statements a one-step run makes on the transport's own schema (a file the transport made), by
 * better-sqlite3 alone in one process, 100 runs per transaction as eventide's write batches gather them: publish
 * (message, delivery); claim (lease, read the message) and create the run record (revision, row); settle (revision,
 * record update by compare-and-set, delivery deleted). Values are the size of the real ones.
 */
async function rawRunsFloor(path: string, count: number): Promise<number> {
  const t = createSqliteTransport({ path, namespace: 'bench' });
  await t.connect();
  await (await t.consume('events', 'one-step', () => undefined, { concurrency: 1, ackWaitMs: 600_000 })).stop({ timeoutMs: 0 });
  await t.close();
  const db = new Database(path, { timeout: 5_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  db.pragma('wal_autocheckpoint = 8000');
  const message = db.prepare(`INSERT INTO messages (ns, subject, msg_id, data, at) VALUES (?, ?, ?, ?, ?)`);
  const delivery = db.prepare(
    `INSERT INTO deliveries (ns, subject, grp, msg_seq, available_at) SELECT ns, subject, name, ?, ? FROM groups WHERE ns = ? AND subject = ?`,
  );
  const claim = db.prepare(
    `UPDATE deliveries SET owner = ?, available_at = ?, delivery_count = delivery_count + 1
     WHERE id IN (SELECT id FROM deliveries WHERE ns = ? AND subject = ? AND grp = ? AND available_at <= ? ORDER BY available_at, id LIMIT ?)
     RETURNING id, msg_seq, delivery_count`,
  );
  const read = db.prepare(`SELECT msg_id, data FROM messages WHERE seq = ?`);
  const revision = db.prepare(`UPDATE counters SET value = value + 1 WHERE name = 'revision' RETURNING value`).pluck();
  const create = db.prepare(
    `INSERT INTO kv (ns, key, value, revision, expires_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (ns, key) DO UPDATE SET value = excluded.value, revision = excluded.revision, expires_at = excluded.expires_at
     WHERE kv.expires_at IS NOT NULL AND kv.expires_at <= ?`,
  );
  const update = db.prepare(
    `UPDATE kv SET value = ?, revision = ?, expires_at = ? WHERE ns = ? AND key = ? AND revision = ? AND (expires_at IS NULL OR expires_at > ?)`,
  );
  const remove = db.prepare(`DELETE FROM deliveries WHERE id = ? AND owner = ?`);
  const event = Buffer.alloc(90, 7);
  const record = Buffer.alloc(480, 7);
  const publish = db.transaction((n: number, from: number) => {
    const now = Date.now();
    for (let i = 0; i < n; i++)
      delivery.run(message.run('bench', 'events', `e${from + i}`, event, now).lastInsertRowid, now, 'bench', 'events');
  });
  const start = db.transaction((n: number, owner: string) => {
    const now = Date.now();
    const claimed = claim.all(owner, now + 60_000, 'bench', 'events', 'one-step', now, n) as { id: number; msg_seq: number }[];
    return claimed.map((c) => {
      const msg = read.get(c.msg_seq) as { msg_id: string };
      const key = `run.${msg.msg_id}`;
      const rev = revision.get() as number;
      create.run('bench', key, record, rev, null, now);
      return { id: c.id, key, rev };
    });
  });
  const settle = db.transaction((runs: { id: number; key: string; rev: number }[], owner: string) => {
    const now = Date.now();
    for (const r of runs) {
      update.run(record, revision.get(), null, 'bench', r.key, r.rev, now);
      remove.run(r.id, owner);
    }
  });
  const began = performance.now();
  for (let i = 0; i < count; i += 100) {
    const n = Math.min(100, count - i);
    publish.immediate(n, i);
    const owner = `floor.${i}`;
    settle.immediate(start.immediate(n, owner), owner);
  }
  const rate = (count / (performance.now() - began)) * 1000;
  db.close();
  return rate;
}

/** send() of a producer runtime whose namespace has one function's group, timed one by one (ms). */
async function sendCost(path: string, count: number): Promise<Distribution> {
  const t = createSqliteTransport({ path, namespace: 'bench' });
  await t.connect();
  const group = await t.consume('events', 'one-step', () => undefined, { concurrency: 1, ackWaitMs: 600_000 });
  await group.stop({ timeoutMs: 0 });
  const rt = createRuntime({ transport: t, namespace: 'bench', worker: false, logger: silentLogger });
  await rt.start();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = performance.now();
    await rt.send({ name: 'bench/one', data: { userId: i, email: 'someone@example.com', plan: 'pro' } });
    times.push(performance.now() - s);
  }
  await rt.stop();
  await t.close();
  return distribution(times.slice(Math.floor(count / 10)));
}

/** One event at a time; each run's output says how long after its send it started (ms). */
async function startLatency(rt: Runtime, count: number): Promise<Distribution> {
  for (let i = 0; i < count; i++) {
    const done = new Promise<void>((resolve) => {
      const off = rt.on('run', (c) => {
        if (c.to === 'succeeded' && c.eventId === `lat${i}`) {
          off();
          resolve();
        }
      });
    });
    await rt.send({ name: 'bench/one', id: `lat${i}`, data: { at: hrNow() } });
    await done;
    await sleep(5);
  }
  const runs = await rt.listRuns({ functionId: 'one-step', limit: count * 2 });
  return distribution(runs.map((r) => (r.output as { startedAfterMs: number }).startedAfterMs));
}

/** Sends `count` events in batches of 100 and times them until every run succeeded. */
async function runsPerSecond(rt: Runtime, count: number): Promise<number> {
  let succeeded = 0;
  const off = rt.on('run', (c) => {
    if (c.to === 'succeeded') succeeded++;
  });
  const before = succeeded;
  const start = performance.now();
  for (let i = 0; i < count; i += 100) {
    await rt.send(Array.from({ length: Math.min(100, count - i) }, () => ({ name: 'bench/one', data: { at: hrNow() } })));
  }
  const end = Date.now() + 120_000;
  while (succeeded - before < count && Date.now() < end) await sleep(5);
  off();
  return ((succeeded - before) / (performance.now() - start)) * 1000;
}
