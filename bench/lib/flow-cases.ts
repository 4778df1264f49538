/**
 * @module
 * Flow control measured: one-step runs/s of a function limited per key
 * next to the same function unlimited (same process, same round); the
 * start latency of key B's runs behind a large backlog of key A; and how
 * closely a throttle holds its rate.
 */
import { performance } from 'node:perf_hooks';
import { defineFunction, type EventPayload } from '../../index.js';
import { withTimeout, type TransportKind } from './env.js';
import { signupEvent } from './signup-event.js';
import { startRuntime } from './start-runtime.js';
import { distribution, type Distribution } from './stats.js';

export interface FlowThroughputResult extends Record<string, number> {
  unlimitedRunsPerSec: number;
  limitedRunsPerSec: number;
}

const keyed = (i: number, keys: number): EventPayload => {
  const e = signupEvent(i);
  return { ...e, data: { ...(e.data as object), account: `acct_${i % keys}` } };
};

async function oneStepRate(kind: TransportKind, events: number, warmup: number, limited: boolean, keys: number): Promise<number> {
  const fn = defineFunction(
    {
      id: limited ? 'limited' : 'unlimited',
      trigger: { event: 'user/created' },
      ...(limited ? { concurrency: { limit: 10, key: (e: { data: { account: string } }) => e.data.account } } : {}),
    },
    async ({ step }) => step.run('work', () => 1),
  );
  const s = await startRuntime(kind, limited ? 'fl' : 'fu', { functions: [fn] });
  let completed = 0;
  let target = Infinity;
  let finish = () => {};
  s.runtime.on('run', (c) => {
    if (c.to === 'succeeded' && ++completed === target) finish();
  });
  const pass = async (from: number, n: number) => {
    completed = 0;
    target = n;
    const done = new Promise<void>((r) => (finish = r));
    const t0 = performance.now();
    for (let i = from; i < from + n; i += 100) {
      const list: EventPayload[] = [];
      for (let j = i; j < Math.min(from + n, i + 100); j++) list.push(keyed(j, keys));
      await s.runtime.send(list);
    }
    await withTimeout(done, 120_000, `${n} runs on ${kind}`);
    return completed / ((performance.now() - t0) / 1000);
  };
  try {
    await pass(0, warmup);
    return await pass(1_000_000, events);
  } finally {
    await s.stop();
  }
}

/** The same one-step function with `concurrency: { limit: 10, key }` over `keys` keys, and with none. */
export async function flowThroughput(kind: TransportKind, events: number, warmup: number, keys = 1_000): Promise<FlowThroughputResult> {
  const unlimitedRunsPerSec = await oneStepRate(kind, events, warmup, false, keys);
  const limitedRunsPerSec = await oneStepRate(kind, events, warmup, true, keys);
  return { unlimitedRunsPerSec, limitedRunsPerSec };
}

export interface FairnessResult {
  backlog: number;
  /** From the first send of the backlog until every run of it had started or was waiting for a slot, s. */
  parkSeconds: number;
  /** Sent → handler start of key B's runs while key A's backlog waits, ms. */
  bLatencyMs: Distribution;
  /** How many of A's runs had started when the last B started. */
  aStartedBeforeLastB: number;
}

/**
 * `backlog` runs of key A (limit 10 per key, each 5 ms); once every one of
 * them has started or waits for a slot, `probes` runs of key B, one every
 * 50 ms.
 */
export async function flowFairness(kind: TransportKind, backlog: number, probes: number): Promise<FairnessResult> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let aStarted = 0;
  let aAtLastB = 0;
  let bDone = 0;
  let allB = () => {};
  const fn = defineFunction(
    { id: 'fair', trigger: { event: 'job/fair' }, concurrency: { limit: 10, key: (e: { data: { k: string } }) => e.data.k } },
    async ({ event }) => {
      const { k, probe } = event.data as { k: string; probe?: string };
      if (k === 'A') {
        aStarted++;
        await new Promise((r) => setTimeout(r, 5));
        return;
      }
      latencies.push(performance.now() - (sentAt.get(probe as string) ?? Number.NaN));
      aAtLastB = aStarted;
      if (++bDone === probes) allB();
    },
  );
  const s = await startRuntime(kind, 'ff', { functions: [fn] });
  let arrived = 0;
  let allArrived = () => {};
  s.runtime.on('run', (c) => {
    if (c.from === 'pending' && ++arrived === backlog) allArrived();
  });
  try {
    const parked = new Promise<void>((r) => (allArrived = r));
    const t0 = performance.now();
    for (let i = 0; i < backlog; i += 500) {
      await s.runtime.send(
        Array.from({ length: Math.min(500, backlog - i) }, (_, j) => ({ name: 'job/fair', data: { k: 'A', n: i + j } })),
      );
    }
    await withTimeout(parked, 300_000, `${backlog} runs of key A to start or wait on ${kind}`);
    const parkSeconds = (performance.now() - t0) / 1000;
    const done = new Promise<void>((r) => (allB = r));
    for (let p = 0; p < probes; p++) {
      const probe = `b${p}`;
      sentAt.set(probe, performance.now());
      await s.runtime.send({ name: 'job/fair', data: { k: 'B', probe } });
      await new Promise((r) => setTimeout(r, 50));
    }
    await withTimeout(done, 120_000, `${probes} runs of key B on ${kind}`);
    return { backlog, parkSeconds, bLatencyMs: distribution(latencies), aStartedBeforeLastB: aAtLastB };
  } finally {
    await s.stop();
  }
}

export interface ThrottleResult {
  limit: number;
  periodMs: number;
  /** Starts in each full period after the first start. */
  perPeriod: number[];
  /** Largest |starts − limit| ÷ limit over those periods. */
  worstDeviation: number;
}

/** `limit` per `periodMs`, with `periods + 1` periods' worth of events sent at once: starts counted per period. */
export async function throttleAccuracy(kind: TransportKind, limit: number, periodMs: number, periods: number): Promise<ThrottleResult> {
  const starts: number[] = [];
  const total = limit * (periods + 1);
  let finish = () => {};
  const fn = defineFunction({ id: 'throttled', trigger: { event: 'job/throttled' }, throttle: { limit, period: periodMs } }, async () => {
    starts.push(performance.now());
    if (starts.length === total) finish();
  });
  const s = await startRuntime(kind, 'ft', { functions: [fn] });
  try {
    const done = new Promise<void>((r) => (finish = r));
    for (let i = 0; i < total; i += 500)
      await s.runtime.send(Array.from({ length: Math.min(500, total - i) }, (_, j) => ({ name: 'job/throttled', data: { n: i + j } })));
    await withTimeout(done, periodMs * (periods + 3) + 30_000, `${total} throttled runs on ${kind}`);
    starts.sort((a, b) => a - b);
    const perPeriod: number[] = [];
    for (let p = 0; p < periods; p++) {
      const from = starts[0] + p * periodMs;
      perPeriod.push(starts.filter((t) => t >= from && t < from + periodMs).length);
    }
    const worstDeviation = Math.max(...perPeriod.map((n) => Math.abs(n - limit) / limit));
    return { limit, periodMs, perPeriod, worstDeviation };
  } finally {
    await s.stop();
  }
}
