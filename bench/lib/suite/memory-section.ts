/**
 * @module
 * Section 4: the heap held per run asleep in a step, on the memory transport.
 */
import { runCase } from '../child.js';
import type { HeapResult } from '../heap-per-run.js';
import type { MemoryResult, Results } from '../results.js';
import { rounds } from '../stats.js';
import type { SectionContext } from './context.js';

export async function memorySection(ctx: SectionContext): Promise<Results['sections']['memory']> {
  const { plan, transports } = ctx;
  const { progress, childLine, attempt, errors } = ctx.log;
  progress(`── 4. memory: ${plan.heap.runs} sleeping runs · ${plan.heap.rounds} rounds`);
  if (!transports.memory.ok) return { skipped: `memory transport: ${transports.memory.reason}` };
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
  return m ?? { skipped: `failed: ${errors[errors.length - 1]}` };
}
