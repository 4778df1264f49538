/**
 * @module
 * Section 5: flow control. Per transport, one-step runs/s of a function
 * limited per key next to the same function unlimited (same process, same
 * round); key B's start latency behind key A's backlog; a throttle's rate.
 */
import { runCase } from '../child.js';
import type { FairnessResult, FlowThroughputResult, ThrottleResult } from '../flow-cases.js';
import type { FlowRow, Results } from '../results.js';
import { rounds } from '../stats.js';
import type { SectionContext } from './context.js';

export async function flowSection(ctx: SectionContext): Promise<NonNullable<Results['sections']['flow']>> {
  const { plan, kinds } = ctx;
  const { progress, childLine, attempt } = ctx.log;
  const f = plan.flow;
  progress(`── 5. flow control: runs/s limited per key vs unlimited · fairness behind a backlog · throttle accuracy · ${f.rounds} rounds`);
  const rows: FlowRow[] = [];
  for (const kind of kinds) {
    const limited: number[] = [];
    const unlimited: number[] = [];
    progress(`flow on ${kind} · ${f.events[kind]} events each, after ${f.warmupRuns} untimed runs`);
    for (let round = 0; round < f.rounds; round++) {
      const r = await attempt(`flow throughput on ${kind}`, () =>
        runCase<FlowThroughputResult>(
          { case: 'flow-throughput', kind, events: f.events[kind], warmupRuns: f.warmupRuns },
          { onLine: childLine },
        ),
      );
      if (r) {
        limited.push(r.result.limitedRunsPerSec);
        unlimited.push(r.result.unlimitedRunsPerSec);
      }
    }
    if (limited.length === 0) continue;
    const row: FlowRow = {
      transport: kind,
      limitedRunsPerSec: rounds(limited),
      unlimitedRunsPerSec: rounds(unlimited),
      ratio: rounds(limited.map((l, i) => l / unlimited[i])),
    };
    const fair = await attempt(`fairness on ${kind}`, () =>
      runCase<FairnessResult>({ case: 'flow-fairness', kind, backlog: f.backlog[kind], probes: f.probes }, { onLine: childLine }),
    );
    if (fair)
      row.fairness = {
        backlog: fair.result.backlog,
        parkSeconds: fair.result.parkSeconds,
        p50Ms: fair.result.bLatencyMs.p50,
        p99Ms: fair.result.bLatencyMs.p99,
        aStartedBeforeLastB: fair.result.aStartedBeforeLastB,
      };
    const t = await attempt(`throttle on ${kind}`, () =>
      runCase<ThrottleResult>({ case: 'flow-throttle', kind, ...f.throttle }, { onLine: childLine }),
    );
    if (t) row.throttle = t.result;
    rows.push(row);
  }
  return { rows };
}
