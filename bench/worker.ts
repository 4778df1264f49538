/**
 * One measurement case in a fresh process, so its peak RSS and its garbage
 * are its own. Spawned by the suite and by `bench/core.ts`:
 *
 *   node [--expose-gc] dist/bench/worker.js '{"case":"throughput","kind":"memory","fanout":1,"events":20000}'
 *
 * Prints progress to stderr and one `@@result {json}` line to stdout.
 */
import { performance } from 'node:perf_hooks';
import { bullQueues } from './lib/bullmq-queues.js';
import { heapPerSleepingRun } from './lib/heap-per-run.js';
import { rawStartLatency } from './lib/raw-latency.js';
import { rawOp } from './lib/send-cost.js';
import { signupEvent } from './lib/signup-event.js';
import { bullmqStartLatency, eventideStartLatency } from './lib/start-latency.js';
import { startProducer } from './lib/start-runtime.js';
import { bullmqThroughput, eventideThroughput } from './lib/throughput.js';
import { benchOps, timedLoop, type Op } from './lib/timing-harness.js';
import type { CaseSpec } from './lib/case-spec.js';
import { exitWithParent, printResult } from './lib/child.js';
import { rawThroughput } from './lib/raw-throughput.js';
import type { TransportKind } from './lib/env.js';
import { rounds, type Distribution, type Rounds } from './lib/stats.js';

export interface SendCaseResult {
  /** µs per op (benchmark.js), by op key: raw, send, and on Redis bullmqAdd, bullmqAdd3. */
  ops: Record<string, Rounds & { rme: number }>;
  /** Display name of each op key. */
  names: Record<string, string>;
  /** Sequential timed loop, µs: p50 and p99 of each round. */
  loops: Record<string, { p50: Rounds; p99: Rounds }>;
}

async function sendCase(spec: Extract<CaseSpec, { case: 'send' }>): Promise<SendCaseResult> {
  const kind: TransportKind = spec.kind === 'bullmq-only' ? 'redis' : spec.kind;
  const raw = await rawOp(kind);
  const closers: (() => Promise<void>)[] = [raw.close];
  const event = signupEvent();
  const names: Record<string, string> = { raw: raw.name };
  const ops: Op[] = [{ name: 'raw', fn: raw.fn }];
  try {
    if (spec.kind !== 'bullmq-only') {
      const producer = await startProducer(spec.kind, `send${spec.kind}`);
      closers.unshift(producer.stop);
      ops.push({ name: 'send', fn: () => producer.runtime.send(event) });
      names.send = 'runtime.send()';
    }
    if (spec.bullmq) {
      const q = await bullQueues('bullsend', 3);
      closers.unshift(q.close);
      const [a, b, c] = q.queues;
      const opts = { removeOnComplete: true, removeOnFail: true };
      const data = event.data;
      ops.push({ name: 'bullmqAdd', fn: () => a.add('user/created', data, opts) });
      ops.push({
        name: 'bullmqAdd3',
        fn: () =>
          Promise.all([a.add('start-trial', data, opts), b.add('send-welcome-email', data, opts), c.add('add-to-newsletter', data, opts)]),
      });
      names.bullmqAdd = 'BullMQ Queue.add';
      names.bullmqAdd3 = 'BullMQ 3× Queue.add (3 queues)';
    }
    process.stderr.write(`benchmark.js: ${ops.map((o) => names[o.name]).join(', ')}\n`);
    const measured = await benchOps(ops, { rounds: spec.rounds, maxTime: spec.maxTime });
    const loopRounds: Record<string, Distribution[]> = {};
    const loopOps: Op[] = [...ops];
    for (let r = 0; r < spec.rounds; r++) {
      for (const op of loopOps) {
        const n = op.name.startsWith('bullmq') || kind !== 'memory' ? (spec.durableLoop ?? 1_000) : spec.loop;
        (loopRounds[op.name] ??= []).push(await timedLoop(() => op.fn(), n, Math.min(n, 500)));
      }
    }
    const loops: SendCaseResult['loops'] = {};
    for (const [k, ds] of Object.entries(loopRounds)) loops[k] = { p50: rounds(ds.map((d) => d.p50)), p99: rounds(ds.map((d) => d.p99)) };
    return { ops: measured, names, loops };
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as CaseSpec;
  const t0 = performance.now();
  let result: unknown;
  switch (spec.case) {
    case 'send':
      result = await sendCase(spec);
      break;
    case 'throughput':
      result = await eventideThroughput(spec.kind, spec);
      break;
    case 'bullmq-throughput':
      result = await bullmqThroughput(spec);
      break;
    case 'latency':
      result = await eventideStartLatency(spec.kind, spec.n);
      break;
    case 'bullmq-latency':
      result = await bullmqStartLatency(spec.n);
      break;
    case 'raw-latency':
      result = await rawStartLatency(spec.kind, spec.n);
      break;
    case 'raw-throughput':
      result = await rawThroughput(spec.kind, spec.events, undefined, spec.warmupRuns);
      break;
    case 'heap':
      result = await heapPerSleepingRun(spec.runs);
      break;
    default:
      throw new Error(`unknown case ${JSON.stringify((spec as { case?: unknown }).case)}`);
  }
  printResult({ result, peakRssBytes: process.resourceUsage().maxRSS * 1024, seconds: (performance.now() - t0) / 1000 });
}

exitWithParent();
main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
