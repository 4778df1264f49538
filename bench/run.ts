/**
 * The benchmark suite: `npm run bench` (quick, about 6 minutes) or
 * `npm run bench -- --full`.
 *
 *   node dist/bench/run.js [--full | --smoke] [--transports memory,nats,redis] [--no-bullmq]
 *                          [--sections signup,send,throughput,memory] [--out DIR]
 *                          [--duration S] [--connections 10,50] [--rounds N]
 *
 * 1. Signup, sync vs async, over real HTTP (autocannon against a signup
 *    service and a third-party server, both child processes).
 * 2. Critical-path cost of send() per transport, next to the raw client op
 *    and BullMQ's Queue.add (benchmark.js), as ratios.
 * 3. Throughput and latency of background runs, against BullMQ workers at
 *    concurrency 1/10/100; event → function-start latency, next to the raw
 *    client's publish → receive on the same server; worker peak RSS.
 * 4. Memory: heap per waiting run (100k sleeping runs) on memory.
 *
 * Transports are probed first: a runtime must start and run a function on
 * `nats://…` / `redis://…`, else the run prints "skipped nats: <reason>"
 * and goes on. Every namespace and queue is unique to the run and removed
 * after. Ends with the tables, and writes bench/results/<timestamp>.json and
 * a self-contained .html with charts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HeapResult } from './lib/heap-per-run.js';
import { latencyWarmup } from './lib/start-latency.js';
import type { ThroughputResult } from './lib/throughput.js';
import { killChildren, runCase } from './lib/child.js';
import { cleanupRun, natsUp, probeTransport, redisUp, transportKinds, urls, type TransportKind } from './lib/env.js';
import { renderHtml } from './lib/report/html.js';
import { renderText } from './lib/report/text.js';
import {
  computeGoals,
  latencyRow,
  ratioRounds,
  type BullmqRow,
  type LatencyRow,
  type MemoryResult,
  type Mode,
  type Results,
  type SendRow,
  type ThroughputRow,
} from './lib/results.js';
import type { SendCaseResult } from './lib/send-cost.js';
import { defaultThirdParty } from './lib/signup-model.js';
import { runSignupSection, type SignupOptions } from './lib/signup.js';
import { rounds, type Distribution } from './lib/stats.js';

// ── options ────────────────────────────────────────────────────────────

const argv = process.argv.slice(2);
const has = (f: string) => argv.includes(`--${f}`);
const value = (f: string): string | undefined => {
  const i = argv.findIndex((a) => a === `--${f}` || a.startsWith(`--${f}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
};
const usage = `usage: node dist/bench/run.js [--full | --smoke] [--transports memory,nats,redis] [--no-bullmq]
                         [--sections signup,send,throughput,memory] [--out DIR]
                         [--duration S] [--connections 10,50] [--rounds N]`;
{
  // A mistyped flag would otherwise run the whole ten-minute suite with the defaults.
  const flags = new Set(['full', 'smoke', 'no-bullmq', 'help']);
  const valued = new Set(['transports', 'sections', 'out', 'duration', 'connections', 'rounds']);
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '').replace(/=.*$/, '');
    if (!argv[i].startsWith('--') || (!flags.has(name) && !valued.has(name))) {
      process.stderr.write(`unknown argument ${JSON.stringify(argv[i])}\n${usage}\n`);
      process.exit(2);
    }
    if (valued.has(name) && !argv[i].includes('=')) i++;
  }
  if (has('help')) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
}
const mode: Mode = has('smoke') ? 'smoke' : has('full') ? 'full' : 'quick';

interface Plan {
  signup: SignupOptions;
  send: { rounds: number; maxTime: number; loop: number; durableLoop: number };
  throughput: {
    rounds: number;
    events: Record<TransportKind, number>;
    bullmq: Record<number, number>;
    latencyN: number;
    warmupRuns: number;
  };
  heap: { runs: number; rounds: number };
}

const plans: Record<Mode, Plan> = {
  smoke: {
    signup: {
      connections: [4],
      durationS: 1,
      warmupS: 0,
      rounds: 1,
      thirdParty: { latency: { minMs: 2, medianMs: 5, sigma: 0.5, maxMs: 50 }, failRate: 0.05 },
      concurrency: 50,
      retries: 5,
      backoffMs: 10,
      variants: [],
      stallMs: 5_000,
      settleCapMs: 15_000,
    },
    send: { rounds: 1, maxTime: 0.05, loop: 200, durableLoop: 50 },
    throughput: {
      rounds: 1,
      events: { memory: 300, nats: 100, redis: 100 },
      bullmq: { 1: 50, 10: 100, 100: 100 },
      latencyN: 10,
      warmupRuns: 200,
    },
    heap: { runs: 2_000, rounds: 1 },
  },
  quick: {
    signup: {
      connections: [10, 50],
      durationS: 3,
      warmupS: 1,
      rounds: 1,
      thirdParty: defaultThirdParty,
      concurrency: 200,
      retries: 5,
      backoffMs: 100,
      variants: [],
      stallMs: 10_000,
      settleCapMs: 240_000,
    },
    send: { rounds: 3, maxTime: 0.25, loop: 20_000, durableLoop: 1_000 },
    throughput: {
      rounds: 3,
      events: { memory: 10_000, nats: 2_000, redis: 10_000 },
      bullmq: { 1: 1_000, 10: 2_000, 100: 10_000 },
      latencyN: 500,
      warmupRuns: 10_000,
    },
    heap: { runs: 100_000, rounds: 1 },
  },
  full: {
    signup: {
      connections: [10, 50, 100],
      durationS: 10,
      warmupS: 3,
      rounds: 3,
      thirdParty: defaultThirdParty,
      concurrency: 200,
      retries: 5,
      backoffMs: 100,
      variants: [],
      stallMs: 20_000,
      settleCapMs: 600_000,
    },
    send: { rounds: 5, maxTime: 1, loop: 50_000, durableLoop: 5_000 },
    throughput: {
      rounds: 5,
      events: { memory: 60_000, nats: 10_000, redis: 10_000 },
      bullmq: { 1: 3_000, 10: 10_000, 100: 10_000 },
      latencyN: 1_000,
      warmupRuns: 10_000,
    },
    heap: { runs: 100_000, rounds: 3 },
  },
};
const plan = plans[mode];
if (value('duration')) plan.signup.durationS = Number(value('duration'));
if (value('connections')) plan.signup.connections = String(value('connections')).split(',').map(Number);
if (value('rounds')) {
  const n = Number(value('rounds'));
  plan.send.rounds = plan.throughput.rounds = plan.heap.rounds = plan.signup.rounds = n;
}
const wantedTransports = (value('transports') ?? (mode === 'smoke' ? 'memory' : transportKinds.join(','))).split(',') as TransportKind[];
const wantBullmq = !has('no-bullmq') && mode !== 'smoke';
const sections = new Set((value('sections') ?? 'signup,send,throughput,memory').split(','));
const allSections = ['signup', 'send', 'throughput', 'memory'];
for (const [what, given, known] of [
  ['transport', wantedTransports, transportKinds],
  ['section', [...sections], allSections],
] as const) {
  const wrong = given.filter((g) => !(known as readonly string[]).includes(g));
  if (wrong.length) {
    process.stderr.write(`unknown ${what} ${wrong.map((w) => JSON.stringify(w)).join(', ')}: choose from ${known.join(', ')}\n`);
    process.exit(2);
  }
}
const outDir = value('out') ?? fileURLToPath(new URL('../../bench/results/', import.meta.url));

// ── progress ───────────────────────────────────────────────────────────

const t0 = Date.now();
const clock = () => {
  const s = Math.floor((Date.now() - t0) / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};
const progress = (line: string) => process.stdout.write(`[${clock()}] ${line}\n`);
/** Child processes' stderr: only what looks like trouble reaches the terminal. */
const childLine = (line: string) => {
  if (/error|warn|unhandled|exception/i.test(line)) process.stdout.write(`         │ ${line.slice(0, 300)}\n`);
};
const errors: string[] = [];
async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    const msg = `${what}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
    errors.push(msg);
    progress(`✗ ${msg}`);
    return undefined;
  }
}

// ── run ────────────────────────────────────────────────────────────────

process.once('SIGINT', () => {
  process.stdout.write("\ninterrupted: ending child processes and removing this run's streams, keys and queues …\n");
  killChildren();
  cleanupRun().finally(() => process.exit(130));
});

const startedAt = new Date();
const loadAtStart = loadavg();
progress(`eventide benchmarks, ${mode} mode — ${cpus().length} cpus, load ${loadAtStart.map((l) => l.toFixed(1)).join(' ')}`);

const transports: Results['transports'] = {
  memory: { ok: false, reason: 'not requested' },
  nats: { ok: false, reason: 'not requested' },
  redis: { ok: false, reason: 'not requested' },
  bullmq: { ok: false, reason: mode === 'smoke' ? '--smoke runs memory only' : 'not requested' },
};
for (const kind of transportKinds) {
  if (!wantedTransports.includes(kind)) continue;
  // A server that is down is said so plainly, before the runtime's own error.
  const server = kind === 'nats' ? await natsUp() : kind === 'redis' ? await redisUp() : { ok: true };
  transports[kind] = server.ok
    ? await probeTransport(kind)
    : { ok: false, reason: `${urls[kind as 'nats' | 'redis']} is not answering: ${server.reason}` };
  progress(transports[kind].ok ? `${kind}: ok` : `skipped ${kind}: ${transports[kind].reason}`);
}
if (wantBullmq) {
  const up = await redisUp();
  transports.bullmq = up.ok ? { ok: true } : { ok: false, reason: `Redis at ${urls.redis} is not answering: ${up.reason}` };
  progress(transports.bullmq.ok ? 'bullmq: ok (same Redis)' : `skipped bullmq: ${transports.bullmq.reason}`);
}
const kinds = transportKinds.filter((k) => transports[k].ok);
const bullOk = transports.bullmq.ok;

const results: Results = {
  version: 1,
  mode,
  startedAt: startedAt.toISOString(),
  finishedAt: '',
  seconds: 0,
  machine: {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    totalMemBytes: totalmem(),
    loadavgAtStart: loadAtStart,
  },
  transports,
  sections: {
    signup: { skipped: 'not requested (--sections)' },
    send: { skipped: 'not requested (--sections)' },
    throughput: { skipped: 'not requested (--sections)' },
    memory: { skipped: 'not requested (--sections)' },
  },
  goals: [],
  errors,
};

// 1. Signup over HTTP.
if (sections.has('signup')) {
  progress('── 1. signup, sync vs async, over HTTP');
  const variants = [...kinds, ...(bullOk ? (['bullmq'] as const) : [])];
  const section = await attempt('signup section', () => runSignupSection({ ...plan.signup, variants }, progress, childLine));
  results.sections.signup = section ?? { skipped: `failed: ${errors[errors.length - 1]}` };
}

// 2. send() critical path.
if (sections.has('send')) {
  progress('── 2. critical-path cost of send()');
  const rows: SendRow[] = [];
  const skipped: string[] = [];
  const targets: (TransportKind | 'bullmq-only')[] = [...kinds];
  if (bullOk && !kinds.includes('redis')) targets.push('bullmq-only');
  if (!bullOk) skipped.push(`BullMQ Queue.add: ${transports.bullmq.reason}`);
  for (const kind of targets) {
    progress(
      `send() on ${kind === 'bullmq-only' ? 'Redis (BullMQ only: the Redis transport is not available)' : kind} · ${plan.send.rounds} rounds`,
    );
    const out = await attempt(`send on ${kind}`, () =>
      runCase<SendCaseResult>(
        { case: 'send', kind, ...plan.send, bullmq: bullOk && (kind === 'redis' || kind === 'bullmq-only') },
        { onLine: childLine },
      ),
    );
    if (!out) continue;
    const r = out.result;
    const us = Object.fromEntries(Object.entries(r.ops).map(([k, v]) => [k, rounds(v.values)]));
    rows.push({
      transport: kind === 'bullmq-only' ? 'redis (BullMQ only)' : kind,
      names: r.names,
      us,
      rme: Object.fromEntries(Object.entries(r.ops).map(([k, v]) => [k, v.rme])),
      loopP50Us: Object.fromEntries(Object.entries(r.loops).map(([k, v]) => [k, v.p50])),
      loopP99Us: Object.fromEntries(Object.entries(r.loops).map(([k, v]) => [k, v.p99])),
      sendOverRaw: ratioRounds(us.send, us.raw),
      sendOverBullmqAdd3: ratioRounds(us.send, us.bullmqAdd3),
      sendOverBullmqAdd3P50: ratioRounds(r.loops.send?.p50, r.loops.bullmqAdd3?.p50),
      rawOverBullmqAdd3P50: ratioRounds(r.loops.raw?.p50, r.loops.bullmqAdd3?.p50),
    });
  }
  results.sections.send = { rows, skipped };
}

// 3. Throughput and latency.
if (sections.has('throughput')) {
  progress('── 3. background runs: throughput and latency');
  const rows: ThroughputRow[] = [];
  const bull: BullmqRow[] = [];
  const latency: LatencyRow[] = [];
  const rawFloor: LatencyRow[] = [];
  const skipped: string[] = [];
  const tp = plan.throughput;
  for (const kind of kinds) {
    const one: number[] = [];
    const fan: number[] = [];
    let peak = 0;
    const fanEvents = Math.max(1, Math.round(tp.events[kind] / 3));
    progress(
      `runs/s on ${kind} · one-step ${tp.events[kind]} events, fan-out ${fanEvents} events × 3 functions, each after ${tp.warmupRuns} untimed runs · ${tp.rounds} rounds`,
    );
    const raw: number[] = [];
    const cpu: number[] = [];
    const rawCpu: number[] = [];
    for (let round = 0; round < tp.rounds; round++) {
      const a = await attempt(`one-step throughput on ${kind}`, () =>
        runCase<ThroughputResult>(
          { case: 'throughput', kind, fanout: 1, events: tp.events[kind], warmupRuns: tp.warmupRuns },
          { onLine: childLine },
        ),
      );
      const b = await attempt(`fan-out throughput on ${kind}`, () =>
        runCase<ThroughputResult>(
          { case: 'throughput', kind, fanout: 3, events: fanEvents, warmupRuns: tp.warmupRuns },
          { onLine: childLine },
        ),
      );
      if (a) one.push(a.result.runsPerSec);
      if (a && Number.isFinite(a.result.redisCpuUsPerRun)) cpu.push(a.result.redisCpuUsPerRun);
      if (b) fan.push(b.result.runsPerSec);
      peak = Math.max(peak, a?.peakRssBytes ?? 0, b?.peakRssBytes ?? 0);
      if (kind === 'memory') continue;
      // In the same round as eventide's, so both see the machine in the same mood.
      const r = await attempt(`raw throughput on ${kind}`, () =>
        runCase<ThroughputResult>(
          { case: 'raw-throughput', kind, events: tp.events[kind], warmupRuns: tp.warmupRuns },
          { onLine: childLine },
        ),
      );
      if (r) raw.push(r.result.runsPerSec);
      if (r && Number.isFinite(r.result.redisCpuUsPerRun)) rawCpu.push(r.result.redisCpuUsPerRun);
    }
    if (one.length || fan.length) {
      rows.push({
        transport: kind,
        events: { oneStep: tp.events[kind], fanout: fanEvents },
        oneStepRunsPerSec: rounds(one),
        fanoutRunsPerSec: rounds(fan),
        ...(raw.length ? { rawOneStepRunsPerSec: rounds(raw) } : {}),
        ...(cpu.length ? { redisCpuUsPerRun: rounds(cpu) } : {}),
        ...(rawCpu.length ? { rawRedisCpuUsPerRun: rounds(rawCpu) } : {}),
        peakRssBytes: peak,
      });
    }
    progress(`event → start latency on ${kind} · ${tp.latencyN} sequential events after ${latencyWarmup} untimed`);
    const l = await attempt(`latency on ${kind}`, () =>
      runCase<Distribution>({ case: 'latency', kind, n: tp.latencyN }, { onLine: childLine }),
    );
    if (l) latency.push(latencyRow(kind, l.result));
    if (kind === 'memory') continue;
    // Right after eventide's figure, so both see the machine in the same mood.
    progress(
      `raw floor on ${kind}: ${kind === 'nats' ? 'nats.js js.publish → pull consumer' : 'ioredis XADD → XREADGROUP'} · ${tp.latencyN} sequential messages after ${latencyWarmup} untimed`,
    );
    const f = await attempt(`raw floor on ${kind}`, () =>
      runCase<Distribution>({ case: 'raw-latency', kind, n: tp.latencyN }, { onLine: childLine }),
    );
    if (f) rawFloor.push(latencyRow(kind, f.result));
  }
  if (bullOk) {
    for (const concurrency of [1, 10, 100]) {
      const jobs = tp.bullmq[concurrency];
      progress(`BullMQ worker, concurrency ${concurrency} · ${jobs} no-op jobs after ${tp.warmupRuns} untimed · ${tp.rounds} rounds`);
      const got: number[] = [];
      const cpu: number[] = [];
      let peak = 0;
      for (let round = 0; round < tp.rounds; round++) {
        const r = await attempt(`BullMQ throughput c=${concurrency}`, () =>
          runCase<ThroughputResult>({ case: 'bullmq-throughput', concurrency, jobs, warmupRuns: tp.warmupRuns }, { onLine: childLine }),
        );
        if (r) {
          got.push(r.result.runsPerSec);
          if (Number.isFinite(r.result.redisCpuUsPerRun)) cpu.push(r.result.redisCpuUsPerRun);
          peak = Math.max(peak, r.peakRssBytes);
        }
      }
      if (got.length)
        bull.push({
          concurrency,
          jobs,
          jobsPerSec: rounds(got),
          ...(cpu.length ? { redisCpuUsPerJob: rounds(cpu) } : {}),
          peakRssBytes: peak,
        });
    }
    progress(`BullMQ add → worker start latency · ${tp.latencyN} sequential jobs after ${latencyWarmup} untimed`);
    const l = await attempt('BullMQ latency', () =>
      runCase<Distribution>({ case: 'bullmq-latency', n: tp.latencyN }, { onLine: childLine }),
    );
    if (l) latency.push(latencyRow('bullmq', l.result));
  } else skipped.push(`BullMQ: ${transports.bullmq.reason}`);
  results.sections.throughput = { rows, bullmq: bull, latency, rawFloor, skipped };
}

// 4. Memory.
if (sections.has('memory')) {
  progress(`── 4. memory: ${plan.heap.runs} sleeping runs · ${plan.heap.rounds} rounds`);
  if (!transports.memory.ok) results.sections.memory = { skipped: `memory transport: ${transports.memory.reason}` };
  else {
    const got: { r: HeapResult; peak: number }[] = [];
    for (let round = 0; round < plan.heap.rounds; round++) {
      const r = await attempt('heap per sleeping run', () =>
        runCase<HeapResult>({ case: 'heap', runs: plan.heap.runs }, { exposeGc: true, onLine: childLine }),
      );
      if (r) got.push({ r: r.result, peak: r.peakRssBytes });
    }
    const m: MemoryResult | undefined = got.length
      ? {
          runs: plan.heap.runs,
          heapPerRunBytes: rounds(got.map((g) => g.r.heapPerRunBytes)),
          buffersPerRunBytes: rounds(got.map((g) => g.r.buffersPerRunBytes)),
          rssPerRunBytes: rounds(got.map((g) => g.r.rssPerRunBytes)),
          recordBytes: got[0].r.recordBytes,
          peakRssBytes: Math.max(...got.map((g) => g.peak)),
        }
      : undefined;
    results.sections.memory = m ?? { skipped: `failed: ${errors[errors.length - 1]}` };
  }
}

// ── report ─────────────────────────────────────────────────────────────

await cleanupRun();
results.finishedAt = new Date().toISOString();
results.seconds = (Date.now() - t0) / 1000;
results.goals = computeGoals(results);
const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
mkdirSync(outDir, { recursive: true });
const jsonPath = join(outDir, `${stamp}.json`);
const htmlPath = join(outDir, `${stamp}.html`);
writeFileSync(jsonPath, JSON.stringify(results, null, 2) + '\n');
writeFileSync(htmlPath, renderHtml(results));
process.stdout.write(`\n${renderText(results)}\n\nwrote ${jsonPath}\n      ${htmlPath}\n`);
process.exit(0);
