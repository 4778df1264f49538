/**
 * @module
 * Event → function start at low load: one event at a time, the send time
 * carried in the event and read when the handler starts, for eventide and
 * for a BullMQ worker.
 */
import { performance } from 'node:perf_hooks';
import { defineFunction } from '../../index.js';
import { bullConnection, bullQueues, jobOpts } from './bullmq-queues.js';
import { withTimeout, type TransportKind } from './env.js';
import { startRuntime } from './start-runtime.js';
import { distribution, type Distribution } from './stats.js';

/**
 * Untimed events every start-latency case sends first, the same for eventide,
 * BullMQ and the raw floors. A process' first few hundred events time V8
 * compiling the path (a p50 of ~200 µs after 20 events, ~120 µs after 3,000,
 * on Redis; BullMQ and the raw client gain too), not the steady state a
 * service that has been up a while sees at low load.
 */
export const latencyWarmup = 2_000;

/** Sequential: send one event carrying `performance.now()`, wait for its run to succeed, repeat. Latency in µs. */
export async function eventideStartLatency(kind: TransportKind, n: number, warmup = latencyWarmup): Promise<Distribution> {
  const samples: number[] = [];
  let next!: () => void;
  const fn = defineFunction({ id: 'latency', trigger: { event: 'bench/latency' } }, async ({ event }) => {
    samples.push((performance.now() - (event.data as { t: number }).t) * 1000);
  });
  const s = await startRuntime(kind, `lat${kind}`, { functions: [fn] });
  s.runtime.on('run', (c) => {
    if (c.to === 'succeeded' || c.to === 'failed') next();
  });
  try {
    for (let i = 0; i < n + warmup; i++) {
      const ran = new Promise<void>((r) => (next = r));
      await s.runtime.send({ name: 'bench/latency', data: { t: performance.now() } });
      await withTimeout(ran, 10_000, 'one run');
    }
    return distribution(samples.slice(warmup));
  } finally {
    await s.stop();
  }
}

export async function bullmqStartLatency(n: number, warmup = latencyWarmup): Promise<Distribution> {
  const { Worker } = await import('bullmq');
  const q = await bullQueues('bulllat', 1);
  const queue = q.queues[0];
  const samples: number[] = [];
  let next!: () => void;
  const worker = new Worker(
    queue.name,
    async (job) => {
      samples.push((performance.now() - (job.data as { t: number }).t) * 1000);
    },
    { connection: bullConnection(), concurrency: 1 },
  );
  worker.on('completed', () => next());
  await worker.waitUntilReady();
  try {
    for (let i = 0; i < n + warmup; i++) {
      const ran = new Promise<void>((r) => (next = r));
      await queue.add('latency', { t: performance.now() }, jobOpts);
      await withTimeout(ran, 10_000, 'one BullMQ job');
    }
    return distribution(samples.slice(warmup));
  } finally {
    await worker.close(true).catch(() => undefined);
    await q.close();
  }
}
