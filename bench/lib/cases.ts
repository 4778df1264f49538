/**
 * @module
 * The measurements themselves, each runnable in whatever process calls it:
 * `bench/core.ts` runs the memory ones in-process, the suite runs each in a
 * child (`bench/worker.ts`) so peak RSS and GC are per case.
 */
import { performance } from 'node:perf_hooks';
import Benchmark from 'benchmark';
import { createRuntime, defineFunction, type EventPayload, type Runtime } from '../../index.js';
import { encode } from '../../core/codec/msgpack.js';
import { createMemoryTransport } from '../../transports/memory/index.js';
import {
  benchLogger,
  cleanupNamespace,
  pricedInRedisCpu,
  sleep,
  transportUrl,
  uniqueNamespace,
  urls,
  withTimeout,
  type TransportKind,
} from './env.js';
import { distribution, rounds, type Distribution, type Rounds } from './stats.js';

/** A ~125-byte event, as an endpoint would send it. */
export function signupEvent(i = 0): EventPayload {
  return {
    name: 'user/created',
    data: { userId: `usr_${String(100000 + i)}`, email: 'ada.lovelace@example.com', plan: 'pro', source: 'web' },
  };
}

export const eventBytes = (): Uint8Array =>
  encode({ v: 1, event: { ...signupEvent(), id: 'evt_0000000000000000000000000', ts: Date.now() } });

// ── harness: benchmark.js and a plain timed loop ───────────────────────

export interface Op {
  name: string;
  fn: () => Promise<unknown>;
}

/**
 * Runs each op with benchmark.js (deferred, so awaiting its promise is part
 * of the op), round after round with the ops interleaved, so drift on a
 * noisy machine hits all of them alike. Figures: µs per op.
 */
export async function benchOps(ops: Op[], options: { rounds: number; maxTime: number }): Promise<Record<string, Rounds & { rme: number }>> {
  const seen: Record<string, number[]> = {};
  const rme: Record<string, number[]> = {};
  for (let r = 0; r < options.rounds; r++) {
    for (const op of ops) {
      const { usPerOp, relativeMarginOfError } = await runBenchmark(op, options.maxTime);
      (seen[op.name] ??= []).push(usPerOp);
      (rme[op.name] ??= []).push(relativeMarginOfError);
    }
  }
  const out: Record<string, Rounds & { rme: number }> = {};
  for (const op of ops) out[op.name] = { ...rounds(seen[op.name]), rme: Math.max(...rme[op.name]) };
  return out;
}

function runBenchmark(op: Op, maxTime: number): Promise<{ usPerOp: number; relativeMarginOfError: number }> {
  return new Promise((resolve, reject) => {
    const fn = op.fn;
    const bench = new Benchmark(op.name, {
      defer: true,
      async: true,
      maxTime,
      minSamples: 5,
      fn(deferred: { resolve(): void }) {
        fn().then(
          () => deferred.resolve(),
          (e) => {
            bench.abort();
            reject(e);
          },
        );
      },
      onComplete() {
        if (bench.error) reject(bench.error);
        else resolve({ usPerOp: 1e6 / bench.hz, relativeMarginOfError: bench.stats.rme });
      },
      onError(event: { target?: { error?: unknown } }) {
        reject(event?.target?.error ?? new Error(`benchmark ${op.name} failed`));
      },
    });
    bench.run({ async: true });
  });
}

/** Awaits `fn` n times one after another and returns the distribution of each call in µs. */
export async function timedLoop(fn: (i: number) => Promise<unknown>, n: number, warmup = Math.min(1000, n)): Promise<Distribution> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    samples[i] = (performance.now() - t0) * 1000;
  }
  return distribution(samples);
}

// ── eventide runtimes ──────────────────────────────────────────────────

export interface Started {
  runtime: Runtime;
  namespace: string;
  stop(): Promise<void>;
}

export async function startRuntime(
  kind: TransportKind,
  tag: string,
  options: Omit<Parameters<typeof createRuntime>[0] & object, 'transport' | 'namespace'> = {},
): Promise<Started> {
  const namespace = uniqueNamespace(tag);
  const runtime = createRuntime({ logger: benchLogger, ...options, transport: transportUrl(kind), namespace });
  await withTimeout(runtime.start(), 15_000, `starting a ${kind} runtime`);
  return {
    runtime,
    namespace,
    stop: async () => {
      await runtime.stop({ timeoutMs: 2_000 }).catch(() => undefined);
      await cleanupNamespace(kind, namespace).catch((e) => process.stderr.write(`cleanup of ${namespace} failed: ${String(e)}\n`));
    },
  };
}

/**
 * A producer-only runtime (`worker: false`), as an endpoint's process may
 * be. On memory, a bare consumer group acks every message at once, since the
 * memory transport refuses to pile up messages nobody consumes.
 */
export async function startProducer(kind: TransportKind, tag: string): Promise<Started> {
  const started = await startRuntime(kind, tag, { worker: false });
  if (kind !== 'memory') return started;
  const sinkTransport = createMemoryTransport({ namespace: started.namespace });
  const sink = await sinkTransport.consume(
    'events',
    'sink',
    async (d) => {
      await d.ack();
    },
    { concurrency: 10_000, ackWaitMs: 30_000 },
  );
  return {
    ...started,
    stop: async () => {
      await sink.stop({ timeoutMs: 0 });
      await sinkTransport.close();
      await started.stop();
    },
  };
}

// ── raw client ops, the floor under send() ─────────────────────────────

export interface RawOp extends Op {
  close(): Promise<void>;
}

/** The transport's own cheapest durable write, without eventide. */
export async function rawOp(kind: TransportKind): Promise<RawOp> {
  const bytes = eventBytes();
  if (kind === 'memory') {
    const noop = async (_b: Uint8Array) => undefined;
    return { name: 'no-op async fn', fn: () => noop(bytes), close: async () => {} };
  }
  const namespace = uniqueNamespace(`raw${kind}`);
  if (kind === 'redis') {
    const { Redis } = await import('ioredis');
    const client = new Redis(urls.redis, { maxRetriesPerRequest: 1 });
    const key = `${namespace}:raw`;
    return {
      name: 'ioredis XADD',
      fn: () => client.xadd(key, 'MAXLEN', '~', '10000', '*', 'd', Buffer.from(bytes)),
      close: async () => {
        await client.del(key).catch(() => undefined);
        client.disconnect();
      },
    };
  }
  const { connect } = await import('nats');
  const nc = await connect({ servers: urls.nats.replace(/^nats:\/\//, ''), noAsyncTraces: true });
  const jsm = await nc.jetstreamManager();
  const subject = `${namespace}.raw`;
  await jsm.streams.add({ name: `${namespace}_raw`, subjects: [subject], max_msgs: 100_000 });
  const js = nc.jetstream();
  return {
    name: 'js.publish (noAsyncTraces)',
    fn: () => js.publish(subject, bytes),
    close: async () => {
      await jsm.streams.delete(`${namespace}_raw`).catch(() => undefined);
      await nc.close();
    },
  };
}

// ── BullMQ on the same Redis ───────────────────────────────────────────

export function bullConnection(): { host: string; port: number; maxRetriesPerRequest: null } {
  const u = new URL(urls.redis);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 6379), maxRetriesPerRequest: null };
}

export async function bullQueues(tag: string, count: number) {
  const { Queue } = await import('bullmq');
  const namespace = uniqueNamespace(tag);
  const queues = Array.from({ length: count }, (_, i) => new Queue(`${namespace}_q${i}`, { connection: bullConnection() }));
  await Promise.all(queues.map((q) => q.waitUntilReady()));
  return {
    namespace,
    queues,
    close: async () => {
      for (const q of queues) {
        await q.obliterate({ force: true }).catch(() => undefined);
        await q.close().catch(() => undefined);
      }
      await cleanupNamespace('bullmq', namespace).catch(() => undefined);
    },
  };
}

const jobOpts = { removeOnComplete: true, removeOnFail: true };

// ── throughput of background runs ──────────────────────────────────────

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

// ── event → function start, at low load ────────────────────────────────

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

// ── raw floor under event → start ──────────────────────────────────────

/** One durable round trip at a time through a transport's own client. */
interface Floor {
  /** Publishes a message carrying `performance.now()`; resolves with publish → arrival in µs once it arrived (and its ack is on its way). */
  roundTrip(): Promise<number>;
  close(): Promise<void>;
}

/**
 * What the server and client can do at all, measured like the start
 * latency (same n, warm-up and sequential protocol) but with no eventide
 * code, so a noisy machine's swings show up in both figures of a run.
 */
export async function rawStartLatency(kind: 'nats' | 'redis', n: number, warmup = latencyWarmup): Promise<Distribution> {
  const floor = kind === 'nats' ? await natsFloor() : await redisFloor();
  const samples: number[] = [];
  try {
    for (let i = 0; i < n + warmup; i++) samples.push(await withTimeout(floor.roundTrip(), 10_000, `one raw ${kind} message`));
    return distribution(samples.slice(warmup));
  } finally {
    await floor.close();
  }
}

/**
 * The receiving side hands each arrival to the one round trip waiting for it
 * (there is never more than one); a failure there fails that round trip and
 * every later one, rather than leaving them to time out.
 */
function arrivals(): { wait(): Promise<number>; arrived(us: number): void; failed(e: unknown): void } {
  let waiter: { resolve(us: number): void; reject(e: unknown): void } | undefined;
  let failure: unknown;
  return {
    wait() {
      const p = failure ? Promise.reject(failure) : new Promise<number>((resolve, reject) => (waiter = { resolve, reject }));
      // Awaited only after the publish: until then a rejection must not count as unhandled.
      p.catch(() => undefined);
      return p;
    },
    arrived: (us) => waiter?.resolve(us),
    failed(e) {
      failure ??= e;
      waiter?.reject(e);
    },
  };
}

const sinceUs = (t: number) => (performance.now() - t) * 1000;

/** js.publish into a file stream; a durable pull consumer fed by a request kept outstanding on our own inbox; '+ACK' each message, confirmed (a request) before the next publish. */
async function natsFloor(): Promise<Floor> {
  const { AckPolicy, StorageType, connect, createInbox } = await import('nats');
  const nc = await connect({ servers: urls.nats.replace(/^nats:\/\//, ''), noAsyncTraces: true });
  const namespace = uniqueNamespace('floornats');
  const stream = `${namespace}_floor`;
  const subject = `${namespace}.floor`;
  const jsm = await nc.jetstreamManager();
  const close = async () => {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  };
  try {
    await jsm.streams.add({ name: stream, subjects: [subject], storage: StorageType.File });
    await jsm.consumers.add(stream, { durable_name: 'floor', ack_policy: AckPolicy.Explicit, max_ack_pending: -1 });
  } catch (e) {
    await close();
    throw e;
  }
  const js = nc.jetstream();
  const inbox = createInbox();
  const { wait, arrived, failed } = arrivals();
  const pull = keepPulling((body) => nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.floor`, JSON.stringify(body), { reply: inbox }));
  nc.subscribe(inbox, {
    callback: (err, msg) => {
      if (err) return failed(err);
      // Status messages (an expired request's 408) carry no reply subject.
      if (!msg.reply) return;
      const us = sinceUs(Number(msg.string()));
      pull.received();
      // The next round trip waits for the server to confirm the ack, as the next event of eventide's loop waits for the run's commit.
      nc.request(msg.reply, '+ACK', { timeout: 5_000 }).then(() => arrived(us), failed);
    },
  });
  return {
    roundTrip: async () => {
      pull.topUp();
      const arrival = wait();
      await js.publish(subject, String(performance.now()));
      return arrival;
    },
    close,
  };
}

/**
 * Keeps a pull request outstanding. `left` counts only what the newest
 * request still covers, so it undercounts while older ones have room and
 * the consumer never runs dry; a new request goes out at half the batch or
 * half the expiry, between round trips, where nothing is in flight.
 */
function keepPulling(request: (body: { batch: number; expires: number }) => void): { topUp(): void; received(): void } {
  const batch = 100;
  const expiresMs = 30_000;
  let left = 0;
  let sentAt = -Infinity;
  return {
    topUp() {
      if (left > batch / 2 && performance.now() - sentAt < expiresMs / 2) return;
      request({ batch, expires: expiresMs * 1_000_000 }); // ns
      left = batch;
      sentAt = performance.now();
    },
    received() {
      left--;
    },
  };
}

type StreamReply = [key: string, entries: [id: string, fields: string[]][]][];

/** XADD on one connection; a blocking XREADGROUP loop (COUNT 10 BLOCK 5000) on a second; XACK each entry, its reply awaited before the next XADD. */
async function redisFloor(): Promise<Floor> {
  const { Redis } = await import('ioredis');
  const key = `${uniqueNamespace('floorredis')}:floor`;
  const writer = new Redis(urls.redis, { maxRetriesPerRequest: 1 });
  const reader = new Redis(urls.redis, { maxRetriesPerRequest: 1 });
  let stopped = false;
  const { wait, arrived, failed } = arrivals();
  const read = async () => {
    while (!stopped) {
      const reply = (await reader.xreadgroup('GROUP', 'floor', 'c', 'COUNT', 10, 'BLOCK', 5000, 'STREAMS', key, '>')) as StreamReply | null;
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          const us = sinceUs(Number(fields[1]));
          // On the reader's connection ahead of the next XREADGROUP; the next round trip waits for its reply, as the
          // next event of eventide's loop waits for the run's commit.
          reader.xack(key, 'floor', id).then(() => arrived(us), failed);
        }
      }
    }
  };
  let reading: Promise<void> = Promise.resolve();
  const close = async () => {
    stopped = true;
    // Ends the blocked XREADGROUP now rather than after its 5 s.
    reader.disconnect();
    await reading;
    await writer.del(key).catch(() => undefined);
    await writer.quit().catch(() => writer.disconnect());
  };
  try {
    await writer.xgroup('CREATE', key, 'floor', '$', 'MKSTREAM');
  } catch (e) {
    await close();
    throw e;
  }
  reading = read().catch((e: unknown) => {
    if (!stopped) failed(e);
  });
  return {
    roundTrip: async () => {
      const arrival = wait();
      await writer.xadd(key, '*', 't', String(performance.now()));
      return arrival;
    },
    close,
  };
}

// ── memory per waiting run ─────────────────────────────────────────────

export interface HeapResult extends Record<string, number> {
  runs: number;
  /** heapUsed after − before, per run. */
  heapPerRunBytes: number;
  /** Buffers outside the JS heap (encoded records), per run. */
  buffersPerRunBytes: number;
  rssPerRunBytes: number;
  /** One sleeping run's record, encoded as stored. */
  recordBytes: number;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run node with --expose-gc to measure heap per run');
  g();
  g();
}

/**
 * Starts `runs` runs that each sleep for an hour (`step.sleep('nap', '1h')`)
 * and reports the heap they hold, per run, after a full GC on both sides:
 * everything the runtime and the memory transport keep (run record, delayed
 * delivery, dedup entry, bounded history). Needs --expose-gc.
 */
export async function heapPerSleepingRun(runs: number): Promise<HeapResult> {
  const fn = defineFunction({ id: 'napper', trigger: { event: 'user/created' } }, async ({ step }) => {
    await step.sleep('nap', '1h');
  });
  const s = await startRuntime('memory', 'heap', { functions: [fn] });
  let sleeping = 0;
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  s.runtime.on('run', (c) => {
    if (c.to === 'sleeping' && ++sleeping === runs) finish();
  });
  try {
    // Warm the code paths, then measure from a clean heap.
    await sleep(10);
    gc();
    const before = process.memoryUsage();
    for (let i = 0; i < runs; i += 1000) {
      const list: EventPayload[] = [];
      for (let j = i; j < Math.min(runs, i + 1000); j++) list.push(signupEvent(j));
      await s.runtime.send(list);
    }
    await withTimeout(done, 120_000, `${runs} runs going to sleep`);
    await sleep(20);
    gc();
    const after = process.memoryUsage();
    const [one] = await s.runtime.listRuns({ status: 'sleeping', limit: 1 }).catch(() => []);
    const { encodeRecord } = await import('../../core/codec/record.js');
    return {
      runs,
      heapPerRunBytes: (after.heapUsed - before.heapUsed) / runs,
      buffersPerRunBytes: (after.arrayBuffers - before.arrayBuffers) / runs,
      rssPerRunBytes: (after.rss - before.rss) / runs,
      recordBytes: one ? encodeRecord(one).length : Number.NaN,
    };
  } finally {
    await s.stop();
  }
}
