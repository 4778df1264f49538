/**
 * @module
 * The two ways a case times an operation: benchmark.js (a mean per op, with
 * its margin of error) and a plain sequential loop (a distribution per call).
 */
import { performance } from 'node:perf_hooks';
import Benchmark from 'benchmark';
import { distribution, rounds, type Distribution, type Rounds } from './stats.js';

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
        const error = event?.target?.error;
        reject(error instanceof Error ? error : new Error(`benchmark ${op.name} failed: ${String(error)}`));
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
