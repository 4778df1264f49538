/**
 * @module
 * Section 3: background runs. Per transport, runs/s (one-step and fan-out)
 * and event → start latency, each next to the raw client's floor from the
 * same round; then BullMQ workers at concurrency 1, 10 and 100.
 */
import { runCase } from '../child.js';
import { latencyRow, type BullmqRow, type LatencyRow, type Results, type ThroughputRow } from '../results.js';
import { latencyWarmup } from '../start-latency.js';
import { rounds, type Distribution } from '../stats.js';
import type { ThroughputResult } from '../throughput.js';
import type { SectionContext } from './context.js';

export async function throughputSection(ctx: SectionContext): Promise<Results['sections']['throughput']> {
  const { plan, kinds, transports, bullOk } = ctx;
  const { progress, childLine, attempt } = ctx.log;
  progress('── 3. background runs: throughput and latency');
  const rows: ThroughputRow[] = [];
  const bull: BullmqRow[] = [];
  const latency: LatencyRow[] = [];
  const rawFloor: LatencyRow[] = [];
  const skipped: string[] = [];
  const tp = plan.throughput;
  for (const kind of kinds) {
    const one: number[] = [];
    const fan: number[] = [];
    let peak = 0;
    const fanEvents = Math.max(1, Math.round(tp.events[kind] / 3));
    progress(
      `runs/s on ${kind} · one-step ${tp.events[kind]} events, fan-out ${fanEvents} events × 3 functions, each after ${tp.warmupRuns} untimed runs · ${tp.rounds} rounds`,
    );
    const raw: number[] = [];
    const cpu: number[] = [];
    const rawCpu: number[] = [];
    for (let round = 0; round < tp.rounds; round++) {
      const a = await attempt(`one-step throughput on ${kind}`, () =>
        runCase<ThroughputResult>(
          { case: 'throughput', kind, fanout: 1, events: tp.events[kind], warmupRuns: tp.warmupRuns },
          { onLine: childLine },
        ),
      );
      const b = await attempt(`fan-out throughput on ${kind}`, () =>
        runCase<ThroughputResult>(
          { case: 'throughput', kind, fanout: 3, events: fanEvents, warmupRuns: tp.warmupRuns },
          { onLine: childLine },
        ),
      );
      if (a) one.push(a.result.runsPerSec);
      if (a && Number.isFinite(a.result.redisCpuUsPerRun)) cpu.push(a.result.redisCpuUsPerRun);
      if (b) fan.push(b.result.runsPerSec);
      peak = Math.max(peak, a?.peakRssBytes ?? 0, b?.peakRssBytes ?? 0);
      if (kind === 'memory') continue;
      // In the same round as eventide's, so both see the machine in the same mood.
      const r = await attempt(`raw throughput on ${kind}`, () =>
        runCase<ThroughputResult>(
          { case: 'raw-throughput', kind, events: tp.events[kind], warmupRuns: tp.warmupRuns },
          { onLine: childLine },
        ),
      );
      if (r) raw.push(r.result.runsPerSec);
      if (r && Number.isFinite(r.result.redisCpuUsPerRun)) rawCpu.push(r.result.redisCpuUsPerRun);
    }
    if (one.length || fan.length) {
      rows.push({
        transport: kind,
        events: { oneStep: tp.events[kind], fanout: fanEvents },
        oneStepRunsPerSec: rounds(one),
        fanoutRunsPerSec: rounds(fan),
        ...(raw.length ? { rawOneStepRunsPerSec: rounds(raw) } : {}),
        ...(cpu.length ? { redisCpuUsPerRun: rounds(cpu) } : {}),
        ...(rawCpu.length ? { rawRedisCpuUsPerRun: rounds(rawCpu) } : {}),
        peakRssBytes: peak,
      });
    }
    progress(`event → start latency on ${kind} · ${tp.latencyN} sequential events after ${latencyWarmup} untimed`);
    const l = await attempt(`latency on ${kind}`, () =>
      runCase<Distribution>({ case: 'latency', kind, n: tp.latencyN }, { onLine: childLine }),
    );
    if (l) latency.push(latencyRow(kind, l.result));
    if (kind === 'memory') continue;
    // Right after eventide's figure, so both see the machine in the same mood.
    progress(
      `raw floor on ${kind}: ${kind === 'nats' ? 'nats.js js.publish → pull consumer' : 'ioredis XADD → XREADGROUP'} · ${tp.latencyN} sequential messages after ${latencyWarmup} untimed`,
    );
    const f = await attempt(`raw floor on ${kind}`, () =>
      runCase<Distribution>({ case: 'raw-latency', kind, n: tp.latencyN }, { onLine: childLine }),
    );
    if (f) rawFloor.push(latencyRow(kind, f.result));
  }
  if (bullOk) {
    for (const concurrency of [1, 10, 100]) {
      const jobs = tp.bullmq[concurrency];
      progress(`BullMQ worker, concurrency ${concurrency} · ${jobs} no-op jobs after ${tp.warmupRuns} untimed · ${tp.rounds} rounds`);
      const got: number[] = [];
      const cpu: number[] = [];
      let peak = 0;
      for (let round = 0; round < tp.rounds; round++) {
        const r = await attempt(`BullMQ throughput c=${concurrency}`, () =>
          runCase<ThroughputResult>({ case: 'bullmq-throughput', concurrency, jobs, warmupRuns: tp.warmupRuns }, { onLine: childLine }),
        );
        if (r) {
          got.push(r.result.runsPerSec);
          if (Number.isFinite(r.result.redisCpuUsPerRun)) cpu.push(r.result.redisCpuUsPerRun);
          peak = Math.max(peak, r.peakRssBytes);
        }
      }
      if (got.length)
        bull.push({
          concurrency,
          jobs,
          jobsPerSec: rounds(got),
          ...(cpu.length ? { redisCpuUsPerJob: rounds(cpu) } : {}),
          peakRssBytes: peak,
        });
    }
    progress(`BullMQ add → worker start latency · ${tp.latencyN} sequential jobs after ${latencyWarmup} untimed`);
    const l = await attempt('BullMQ latency', () =>
      runCase<Distribution>({ case: 'bullmq-latency', n: tp.latencyN }, { onLine: childLine }),
    );
    if (l) latency.push(latencyRow('bullmq', l.result));
  } else skipped.push(`BullMQ: ${transports.bullmq.reason}`);
  return { rows, bullmq: bull, latency, rawFloor, skipped };
}
