/**
 * @module
 * Memory per waiting run: the heap a runtime and the memory transport hold
 * for runs asleep in a step.
 */
import { defineFunction, type EventPayload } from '../../index.js';
import { sleep, withTimeout } from './env.js';
import { signupEvent } from './signup-event.js';
import { startRuntime } from './start-runtime.js';

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
