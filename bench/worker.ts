/**
 * One measurement case in a fresh process, so its peak RSS and its garbage
 * are its own. Spawned by the suite and by `bench/core.ts`:
 *
 *   node [--expose-gc] dist/bench/worker.js '{"case":"throughput","kind":"memory","fanout":1,"events":20000}'
 *
 * Prints progress to stderr and one `@@result {json}` line to stdout.
 */
import { performance } from 'node:perf_hooks';
import type { CaseSpec } from './lib/case-spec.js';
import { exitWithParent, printResult } from './lib/child.js';
import { flowFairness, flowThroughput, throttleAccuracy } from './lib/flow-cases.js';
import { tracingOverhead } from './lib/tracing-overhead.js';
import { heapPerSleepingRun } from './lib/heap-per-run.js';
import { delayedBurst, intakeSendCost } from './lib/intake-cases.js';
import { rawStartLatency } from './lib/raw-latency.js';
import { rawThroughput } from './lib/raw-throughput.js';
import { sendCase } from './lib/send-cost.js';
import { bullmqStartLatency, eventideStartLatency } from './lib/start-latency.js';
import { bullmqThroughput, eventideThroughput } from './lib/throughput.js';

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
    case 'tracing-overhead':
      result = await tracingOverhead(spec.kind, spec.events, spec.warmupRuns, spec.round);
      break;
    case 'flow-throughput':
      result = await flowThroughput(spec.kind, spec.events, spec.warmupRuns);
      break;
    case 'flow-fairness':
      result = await flowFairness(spec.kind, spec.backlog, spec.probes);
      break;
    case 'flow-throttle':
      result = await throttleAccuracy(spec.kind, spec.limit, spec.periodMs, spec.periods);
      break;
    case 'intake-send':
      result = await intakeSendCost(spec.kind, spec.n);
      break;
    case 'delayed-burst':
      result = await delayedBurst(spec.kind, spec.events, spec.leadMs);
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
