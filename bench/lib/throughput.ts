/**
 * @module
 * Throughput of background runs: eventide's one-step and fan-out functions,
 * and BullMQ workers, each timed from the first send until every run
 * succeeded, after an untimed warm-up pass in the same process.
 */
import { performance } from 'node:perf_hooks';
import { defineFunction, type EventPayload } from '../../index.js';
import { bullConnection, bullQueues, jobOpts } from './bullmq-queues.js';
import { pricedInRedisCpu, withTimeout, type TransportKind } from './env.js';
import { signupEvent } from './signup-event.js';
import { startRuntime } from './start-runtime.js';

export interface ThroughputResult extends Record<string, number> {
  runsPerSec: number;
  eventsPerSec: number;
  completed: number;
  expected: number;
  seconds: number;
  /** The Redis server's CPU per completed run over the timed pass, µs (NaN off Redis; see pricedInRedisCpu). */
  redisCpuUsPerRun: number;
}

/**
 * Runs (jobs) of the untimed pass before each timed throughput pass, in the
 * same process, the same for eventide, BullMQ and the raw client: a worker
 * that has been up a while runs compiled code, and its first few thousand runs
 * time V8 compiling (one-step Redis runs/s rose ~1.7× from a process' first
 * 4,000 runs to its 40,000th; BullMQ's ~1.5×).
 */
export const throughputWarmupRuns = 10_000;

const fanoutIds = ['start-trial', 'send-welcome-email', 'add-to-newsletter'];

/**
 * Sends `events` events in batches to `fanout` subscribed one-step
 * functions and times from the first send until every run succeeded (counted
 * through `on('run')`). A fresh runtime and namespace per call.
 */
export async function eventideThroughput(
  kind: TransportKind,
  o: { fanout: number; events: number; batch?: number; concurrency?: number; timeoutMs?: number; warmupRuns?: number },
): Promise<ThroughputResult> {
  const functions = fanoutIds
    .slice(0, o.fanout)
    .map((id) => defineFunction({ id, trigger: { event: 'user/created' } }, async ({ step }) => step.run('work', () => 1)));
  const s = await startRuntime(kind, `tp${kind}`, { functions, ...(o.concurrency ? { concurrency: o.concurrency } : {}) });
  let completed = 0;
  let target = Infinity;
  let finish: () => void = () => {};
  s.runtime.on('run', (c) => {
    if (c.to === 'succeeded' && ++completed === target) finish();
  });
  const batch = o.batch ?? 100;
  // One untimed pass first, in the same process: both sides are measured warm (JIT, connections, streams).
  const pass = async (from: number, events: number) => {
    const expected = events * o.fanout;
    completed = 0;
    target = expected;
    const done = new Promise<void>((r) => (finish = r));
    const t0 = performance.now();
    for (let i = from; i < from + events; i += batch) {
      const list: EventPayload[] = [];
      for (let j = i; j < Math.min(from + events, i + batch); j++) list.push(signupEvent(j));
      await s.runtime.send(list);
    }
    await withTimeout(done, o.timeoutMs ?? 60_000, `${expected} runs on ${kind}`).catch((e) =>
      process.stderr.write(`${String(e)}; ${completed} done\n`),
    );
    const seconds = (performance.now() - t0) / 1000;
    return {
      runsPerSec: completed / seconds,
      eventsPerSec: completed / o.fanout / seconds,
      completed,
      expected,
      seconds,
      redisCpuUsPerRun: Number.NaN,
    };
  };
  try {
    await pass(0, Math.ceil((o.warmupRuns ?? throughputWarmupRuns) / o.fanout));
    return await pricedInRedisCpu(kind === 'redis', () => pass(1_000_000, o.events));
  } finally {
    await s.stop();
  }
}

export async function bullmqThroughput(o: {
  concurrency: number;
  jobs: number;
  batch?: number;
  timeoutMs?: number;
  warmupRuns?: number;
}): Promise<ThroughputResult> {
  const { Worker } = await import('bullmq');
  const q = await bullQueues('bulltp', 1);
  const queue = q.queues[0];
  let completed = 0;
  let target = Infinity;
  let finish: () => void = () => {};
  const worker = new Worker(queue.name, async () => 1, { connection: bullConnection(), concurrency: o.concurrency });
  worker.on('completed', () => {
    if (++completed === target) finish();
  });
  await worker.waitUntilReady();
  const batch = o.batch ?? 100;
  // The same untimed warm-up pass as eventide's.
  const pass = async (from: number, jobs: number) => {
    completed = 0;
    target = jobs;
    const done = new Promise<void>((r) => (finish = r));
    const t0 = performance.now();
    for (let i = from; i < from + jobs; i += batch) {
      const list = [];
      for (let j = i; j < Math.min(from + jobs, i + batch); j++)
        list.push({ name: 'user/created', data: signupEvent(j).data, opts: jobOpts });
      await queue.addBulk(list);
    }
    await withTimeout(done, o.timeoutMs ?? 60_000, `${jobs} BullMQ jobs`).catch((e) =>
      process.stderr.write(`${String(e)}; ${completed} done\n`),
    );
    const seconds = (performance.now() - t0) / 1000;
    return {
      runsPerSec: completed / seconds,
      eventsPerSec: completed / seconds,
      completed,
      expected: jobs,
      seconds,
      redisCpuUsPerRun: Number.NaN,
    };
  };
  try {
    await pass(0, o.warmupRuns ?? throughputWarmupRuns);
    return await pricedInRedisCpu(true, () => pass(1_000_000, o.jobs));
  } finally {
    await worker.close(true).catch(() => undefined);
    await q.close();
  }
}
