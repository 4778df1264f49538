/**
 * @module
 * Section 6: what tracing costs. Per transport, one-step runs/s untraced
 * (`tracing: false`), with the OpenTelemetry binding loaded but no provider
 * registered, and with a provider and an in-memory exporter: the three in
 * one child process, in the same round, in an order that rotates by round.
 */
import { runCase } from '../child.js';
import type { Results, TracingRow } from '../results.js';
import { rounds } from '../stats.js';
import type { TracingOverheadResult } from '../tracing-overhead.js';
import type { SectionContext } from './context.js';

export async function tracingSection(ctx: SectionContext): Promise<NonNullable<Results['sections']['tracing']>> {
  const { plan, kinds } = ctx;
  const { progress, childLine, attempt } = ctx.log;
  const t = plan.tracing;
  progress(`── 6. tracing: one-step runs/s untraced · no provider · in-memory exporter · ${t.rounds} rounds`);
  const rows: TracingRow[] = [];
  for (const kind of kinds) {
    const got: TracingOverheadResult[] = [];
    progress(`tracing on ${kind} · ${t.events[kind]} events per variant, after ${t.warmupRuns} untimed runs`);
    for (let round = 0; round < t.rounds; round++) {
      const r = await attempt(`tracing overhead on ${kind}`, () =>
        runCase<TracingOverheadResult>(
          { case: 'tracing-overhead', kind, events: t.events[kind], warmupRuns: t.warmupRuns, round },
          { onLine: childLine },
        ),
      );
      if (r) got.push(r.result);
    }
    if (got.length === 0) continue;
    rows.push({
      transport: kind,
      untracedRunsPerSec: rounds(got.map((g) => g.untracedRunsPerSec)),
      noProviderRunsPerSec: rounds(got.map((g) => g.noProviderRunsPerSec)),
      exporterRunsPerSec: rounds(got.map((g) => g.exporterRunsPerSec)),
      noProviderOverhead: rounds(got.map((g) => 1 - g.noProviderRunsPerSec / g.untracedRunsPerSec)),
      exporterOverhead: rounds(got.map((g) => 1 - g.exporterRunsPerSec / g.untracedRunsPerSec)),
    });
  }
  return rows.length ? { rows } : { skipped: 'no transport measured' };
}
