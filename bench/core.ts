/**
 * `npm run bench:core`: what the core costs on the memory transport, in
 * under a minute.
 *
 *   node dist/bench/core.js [--rounds 3] [--json]
 *
 * - send(): benchmark.js (deferred) and a sequential timed loop (p50/p99),
 *   next to a no-op async fn, the floor of the harness itself;
 * - event → function start latency at low load (one event at a time);
 * - end-to-end runs/s of a one-step function (and a 3-function fan-out):
 *   N events sent in batches of 100, timed until every run succeeded;
 * - heap per pending run: 100k runs sleeping in `step.sleep('nap', '1h')`,
 *   heapUsed delta after a full GC, per run (that child runs with
 *   --expose-gc).
 *
 * Each case runs in a fresh `node` (dist/bench/worker.js), so one case's
 * garbage and retained state (the memory transport keeps message ids for
 * its 2-minute dedup window) do not weigh on the next.
 *
 * The machine is shared and noisy: every figure is the median over rounds,
 * with min–max next to it.
 */
import { cpus } from 'node:os';
import { runCase } from './lib/child.js';
import type { HeapResult } from './lib/heap-per-run.js';
import type { SendCaseResult } from './lib/send-cost.js';
import { fmtBytes, fmtRate, fmtRounds, fmtUs, overRounds, rounds, table, tick, type Distribution, type Rounds } from './lib/stats.js';
import type { ThroughputResult } from './lib/throughput.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const nRounds = flag('rounds', 3);
const runsForThroughput = flag('events', 30_000);
const sleepingRuns = flag('sleeping', 100_000);
const asJson = args.includes('--json');
const log = (s: string) => (asJson ? process.stderr : process.stdout).write(s + '\n');

const t0 = Date.now();
log(
  `eventide core benchmarks — memory transport, node ${process.version}, ${cpus().length} cpus, ${nRounds} rounds, each case in a fresh process`,
);

// 1. send(): benchmark.js and a timed loop, producer-only runtime (a consumer acks at once), vs a no-op async fn.
log('· send() …');
const send = (await runCase<SendCaseResult>({ case: 'send', kind: 'memory', rounds: nRounds, maxTime: 1, loop: 50_000 })).result;

// Event → function start at low load: one event at a time, timestamp in the event vs handler start.
log('· event → function start latency …');
const starts: Distribution[] = [];
for (let r = 0; r < nRounds; r++) starts.push((await runCase<Distribution>({ case: 'latency', kind: 'memory', n: 1_000 })).result);

// 2. End-to-end throughput, one process per round.
log(`· end-to-end runs/s, one-step function (${runsForThroughput} events) …`);
const oneStep = await overRounds(
  nRounds,
  async () => (await runCase<ThroughputResult>({ case: 'throughput', kind: 'memory', fanout: 1, events: runsForThroughput })).result,
);
log(`· end-to-end runs/s, 3-function fan-out (${Math.round(runsForThroughput / 3)} events) …`);
const fanout = await overRounds(
  nRounds,
  async () =>
    (await runCase<ThroughputResult>({ case: 'throughput', kind: 'memory', fanout: 3, events: Math.round(runsForThroughput / 3) })).result,
);

// 3. Heap per pending run.
log(`· heap per sleeping run (${sleepingRuns} runs) …`);
const heap = await overRounds(
  Math.min(nRounds, 2),
  async () => (await runCase<HeapResult>({ case: 'heap', runs: sleepingRuns }, { exposeGc: true })).result,
);

const micro = { send: send.ops.send, noop: send.ops.raw };
const loops = { p50: send.loops.send.p50, p99: send.loops.send.p99 };
const startP50 = rounds(starts.map((d) => d.p50));
const startP99 = rounds(starts.map((d) => d.p99));
const sendP50: Rounds = loops.p50;
const figures = {
  sendBenchmarkUs: micro.send,
  noopBenchmarkUs: micro.noop,
  sendLoopP50Us: sendP50,
  sendLoopP99Us: loops.p99,
  startLatencyP50Us: startP50,
  startLatencyP99Us: startP99,
  oneStepRunsPerSec: oneStep.runsPerSec,
  fanoutRunsPerSec: fanout.runsPerSec,
  heapPerSleepingRunBytes: heap.heapPerRunBytes,
  buffersPerSleepingRunBytes: heap.buffersPerRunBytes,
  recordBytes: heap.recordBytes,
};
const goals = {
  sendP50: { target: '< 5 µs', pass: sendP50.median < 5 },
  runsPerSec: { target: '≥ 50,000/s', pass: oneStep.runsPerSec.median >= 50_000 },
};

if (asJson) {
  process.stdout.write(JSON.stringify({ figures, goals, seconds: (Date.now() - t0) / 1000 }, null, 2) + '\n');
} else {
  const us = (v: number) => fmtUs(v);
  console.log('');
  console.log(
    `eventide core — memory transport, ${cpus().length} cpus, median (min–max) of ${nRounds} rounds, ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
  console.log(
    table(
      [
        ['figure', 'value', 'goal', ''],
        ['send(), benchmark.js, per event', fmtRounds(micro.send, us), '', ''],
        ['  no-op async fn, same harness (floor)', fmtRounds(micro.noop, us), '', ''],
        ['send(), timed loop p50', fmtRounds(sendP50, us), goals.sendP50.target, tick(goals.sendP50.pass)],
        ['send(), timed loop p99', fmtRounds(figures.sendLoopP99Us, us), '', ''],
        ['event → function start, p50', fmtRounds(startP50, us), '', ''],
        ['event → function start, p99', fmtRounds(startP99, us), '', ''],
        [
          'one-step function, end to end',
          fmtRounds(oneStep.runsPerSec, (v) => fmtRate(v, ' runs/s')),
          goals.runsPerSec.target,
          tick(goals.runsPerSec.pass),
        ],
        ['3-function fan-out, end to end', fmtRounds(fanout.runsPerSec, (v) => fmtRate(v, ' runs/s')), '', ''],
        [`heap per sleeping run (${sleepingRuns / 1000}k, ≤ 2 rounds)`, fmtRounds(heap.heapPerRunBytes, fmtBytes), '', ''],
        ['  + buffers outside the heap, per run', fmtRounds(heap.buffersPerRunBytes, fmtBytes), '', ''],
        ['  stored record of one sleeping run', fmtRounds(heap.recordBytes, fmtBytes), '', ''],
      ],
      { alignLeft: 1 },
    ),
  );
  console.log(
    '  send(): producer-only runtime whose events a bare consumer acks at once. event → start: one event at a time, send() included.',
  );
  console.log(
    "  runs/s: N events sent in batches of 100, timed until every run succeeded (on('run')); default concurrency 100 per function.",
  );
}
process.exit(0);
