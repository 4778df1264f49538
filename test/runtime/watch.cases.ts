/**
 * `runtime.watch` on every transport: each change comes with a position, and
 * a watcher that goes away (its runtime stopped, as a process would) and
 * comes back from another runtime with that position sees every change made
 * meanwhile, then live ones, with no gap reported.
 */
import { expect, it } from 'vitest';
import { defineFunction, type RunStateChange, type WatchGap } from '../../index.js';
import { until } from '../conformance/transport.suite.js';
import type { SuiteContext } from './suite-context.js';

const job = defineFunction({ id: 'watched-job', trigger: { event: 'job/go' } }, async ({ step }) => {
  await step.run('work', () => 'done');
});

/** Each run's state changes, in the order seen. */
function byRun(changes: RunStateChange[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of changes) out.set(c.runId, [...(out.get(c.runId) ?? []), `${c.from}>${c.to}`]);
  return out;
}

export function watchCases({ ns, make, settled }: SuiteContext): void {
  it('watch: a watcher that reconnects from another runtime sees every change made while it was away', async () => {
    const namespace = ns();
    const worker = await make({ namespace, functions: [job] });
    const first = await make({ namespace, worker: false });
    const seen: RunStateChange[] = [];
    let last: string | undefined;
    const w = await first.watch((change, position) => {
      seen.push(change);
      last = position;
    });
    expect(w.position).toMatch(/^\d+$/);
    await worker.send([1, 2, 3].map((n) => ({ name: 'job/go', data: { n } })));
    await until(() => seen.filter((c) => c.to === 'succeeded').length === 3, 20_000, 'three runs live');
    await w();
    await first.stop({ timeoutMs: 1_000 });

    // Away: three more runs start and end.
    await worker.send([4, 5, 6].map((n) => ({ name: 'job/go', data: { n } })));
    await settled(worker, 6);

    const second = await make({ namespace, worker: false });
    const gaps: WatchGap[] = [];
    const resumed: RunStateChange[] = [];
    const w2 = await second.watch((change) => resumed.push(change), { after: last as string, onGap: (g) => gaps.push(g) });
    await until(() => resumed.filter((c) => c.to === 'succeeded').length === 3, 20_000, 'the three runs made meanwhile');
    await worker.send({ name: 'job/go', data: { n: 7 } });
    await until(() => resumed.filter((c) => c.to === 'succeeded').length === 4, 20_000, 'the live one');
    await w2();
    expect(gaps).toEqual([]);
    const all = byRun([...seen, ...resumed]);
    const runs = await worker.listRuns({ limit: 100 });
    expect(runs).toHaveLength(7);
    for (const r of runs) expect(all.get(r.id), r.id).toEqual(['pending>running', 'running>succeeded']);
    // Nothing seen before leaving came again.
    const before = new Set(seen.map((c) => c.runId));
    expect(resumed.filter((c) => before.has(c.runId))).toEqual([]);
  });

  it("watch: this runtime's own changes come back with positions, rising", async () => {
    const namespace = ns();
    const rt = await make({ namespace, functions: [job] });
    const positions: bigint[] = [];
    const w = await rt.watch((_change, position) => positions.push(BigInt(position)));
    await rt.send({ name: 'job/go', data: {} });
    await until(() => positions.length === 2, 20_000, 'two changes');
    await w();
    expect(positions[0] <= positions[1]).toBe(true);
    expect(positions[0] >= BigInt(w.position)).toBe(true);
  });
}
