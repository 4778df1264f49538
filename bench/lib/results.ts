/**
 * @module
 * The shape of `bench/results/<timestamp>.json`, and the goals computed
 * from it. Every figure here comes from the run; only the goal thresholds
 * are constants.
 */
import type { SignupSection } from './signup.js';
import { rounds, type Distribution, type Rounds } from './stats.js';

export type Mode = 'smoke' | 'quick' | 'full';

export interface Availability {
  ok: boolean;
  reason?: string;
}

export interface SendRow {
  /** memory | nats | redis, or 'redis (BullMQ only)' when Redis is up but the Redis transport is not. */
  transport: string;
  names: Record<string, string>;
  /** µs per op (benchmark.js), by op key: raw, send, bullmqAdd, bullmqAdd3. */
  us: Record<string, Rounds>;
  /** Relative margin of error reported by benchmark.js (largest over rounds), %. */
  rme: Record<string, number>;
  /** Sequential timed loop, µs. */
  loopP50Us: Record<string, Rounds>;
  loopP99Us: Record<string, Rounds>;
  /** send ÷ raw op, per round (both measured in the same round). */
  sendOverRaw?: Rounds;
  /** send ÷ BullMQ's three adds, per round (same Redis, same round), from benchmark.js means. */
  sendOverBullmqAdd3?: Rounds;
  /** The same ratio from the timed loops' p50s: steadier on a noisy machine. */
  sendOverBullmqAdd3P50?: Rounds;
  /** The raw op (a bare XADD) ÷ BullMQ's three adds, p50 per round: the least that ratio can be on this machine. */
  rawOverBullmqAdd3P50?: Rounds;
}

export interface ThroughputRow {
  transport: string;
  events: { oneStep: number; fanout: number };
  /** Runs succeeded per second, from the first send to the last success. */
  oneStepRunsPerSec: Rounds;
  /** Runs per second of a 3-function fan-out (3 runs per event). */
  fanoutRunsPerSec: Rounds;
  /** NATS and Redis: the raw client making the same server calls per event as a one-step run, no eventide code (bench/lib/raw-throughput.ts). */
  rawOneStepRunsPerSec?: Rounds;
  /** Redis: the server's CPU per one-step run, µs, eventide's and the raw client's. */
  redisCpuUsPerRun?: Rounds;
  rawRedisCpuUsPerRun?: Rounds;
  /** Largest peak RSS of the worker processes that ran these cases. */
  peakRssBytes: number;
}

export interface BullmqRow {
  concurrency: number;
  jobs: number;
  jobsPerSec: Rounds;
  /** The Redis server's CPU per job, µs. */
  redisCpuUsPerJob?: Rounds;
  peakRssBytes: number;
}

export interface LatencyRow {
  transport: string;
  n: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
}

export function latencyRow(transport: string, d: Distribution): LatencyRow {
  return { transport, n: d.n, p50Us: d.p50, p90Us: d.p90, p99Us: d.p99, maxUs: d.max };
}

export interface MemoryResult {
  runs: number;
  heapPerRunBytes: Rounds;
  buffersPerRunBytes: Rounds;
  rssPerRunBytes: Rounds;
  recordBytes: number;
  peakRssBytes: number;
}

export interface TracingRow {
  transport: string;
  /** One-step runs/s with `tracing: false`, with the OpenTelemetry binding but no provider, and with an in-memory exporter; per round. */
  untracedRunsPerSec: Rounds;
  noProviderRunsPerSec: Rounds;
  exporterRunsPerSec: Rounds;
  /** 1 − variant ÷ untraced, per round: the share of runs/s tracing costs. */
  noProviderOverhead: Rounds;
  exporterOverhead: Rounds;
}

export interface FlowRow {
  transport: string;
  /** One-step runs/s, the function unlimited and with `concurrency: { limit: 10, key }` over 1,000 keys, per round. */
  unlimitedRunsPerSec: Rounds;
  limitedRunsPerSec: Rounds;
  /** limited ÷ unlimited, per round. */
  ratio: Rounds;
  /** Key B's start latency behind key A's backlog, ms. */
  fairness?: { backlog: number; parkSeconds: number; p50Ms: number; p99Ms: number; aStartedBeforeLastB: number };
  throttle?: { limit: number; periodMs: number; perPeriod: number[]; worstDeviation: number };
  /** send() p50, µs, of an event for a plain, a debounced and a rate-limited function (same process, taken in turn). */
  intakeSendP50Us?: { plain: number; debounced: number; rateLimited: number };
  /** Delayed events due in the same second: from the due time to the first and the last start, ms. */
  delayed?: { events: number; firstAfterDueMs: number; lastAfterDueMs: number; sendMs: number };
}

export type Skipped = { skipped: string };

export interface Goal {
  id: string;
  text: string;
  /** null: could not be measured in this run (a transport was skipped). */
  pass: boolean | null;
  detail: string;
}

export interface Results {
  version: 1;
  mode: Mode;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  machine: {
    node: string;
    platform: string;
    arch: string;
    cpus: number;
    cpuModel: string;
    totalMemBytes: number;
    loadavgAtStart: number[];
  };
  transports: Record<'memory' | 'nats' | 'redis' | 'bullmq', Availability>;
  sections: {
    signup: SignupSection | Skipped;
    send: { rows: SendRow[]; skipped: string[] } | Skipped;
    throughput:
      | {
          rows: ThroughputRow[];
          bullmq: BullmqRow[];
          latency: LatencyRow[];
          /** Per durable transport: the raw client's publish → receive, same protocol and run as `latency`, no eventide code. */
          rawFloor: LatencyRow[];
          skipped: string[];
        }
      | Skipped;
    memory: MemoryResult | Skipped;
    flow?: { rows: FlowRow[] } | Skipped;
    tracing?: { rows: TracingRow[] } | Skipped;
  };
  goals: Goal[];
  errors: string[];
}

export const isSkipped = (s: unknown): s is Skipped =>
  !!s && typeof s === 'object' && typeof (s as { skipped?: unknown }).skipped === 'string';

/** a[i] ÷ b[i] for rounds measured side by side. */
export function ratioRounds(a: Rounds | undefined, b: Rounds | undefined): Rounds | undefined {
  if (!a || !b || a.values.length !== b.values.length || a.values.length === 0) return undefined;
  return rounds(a.values.map((v, i) => v / b.values[i]));
}

const x = (v: number) => (Number.isFinite(v) ? (v >= 10 ? v.toFixed(1) : v.toFixed(2)) : '–');

export function computeGoals(r: Results): Goal[] {
  const goals: Goal[] = [];
  const { signup, send, throughput } = r.sections;

  if (!isSkipped(signup)) {
    const baseline = (c: number) => signup.rows.find((row) => row.endpoint === 'baseline' && row.connections === c);
    const sync = (c: number) => signup.rows.find((row) => row.endpoint === 'sync' && row.connections === c);
    const variants = [...new Set(signup.rows.filter((row) => row.endpoint === 'async').map((row) => row.variant))];
    for (const v of variants) {
      const asyncRows = signup.rows.filter((row) => row.endpoint === 'async' && row.variant === v);
      const cp = asyncRows.map((row) => ({
        c: row.connections,
        ratio: row.p50.median / (baseline(row.connections)?.p50.median ?? Number.NaN),
      }));
      goals.push({
        id: `signup.critical.${v}`,
        text: `async p50 ≤ 1.2× the critical path alone (baseline endpoint p50), ${v}`,
        pass: cp.length ? cp.every((e) => e.ratio <= 1.2) : null,
        detail: cp.map((e) => `${x(e.ratio)}× @${e.c} conns`).join(', '),
      });
      const sp = asyncRows.map((row) => ({
        c: row.connections,
        ratio: (sync(row.connections)?.p50.median ?? Number.NaN) / row.p50.median,
      }));
      goals.push({
        id: `signup.vsSync.${v}`,
        text: `async p50 ≥ 20× faster than sync, ${v}`,
        pass: sp.length && sp.every((e) => Number.isFinite(e.ratio)) ? sp.every((e) => e.ratio >= 20) : null,
        detail: sp.map((e) => `${x(e.ratio)}× @${e.c} conns`).join(', '),
      });
      const lost = asyncRows.reduce((s, row) => s + row.lost, 0);
      const accepted = asyncRows.reduce((s, row) => s + row.accepted, 0);
      const settled = asyncRows.every((row) => row.settled);
      goals.push({
        id: `signup.lost.${v}`,
        text: `zero lost background work at ${(signup.options.thirdParty.failRate * 100).toFixed(0)}% third-party failures, ${v}`,
        pass: settled && lost === 0 && accepted > 0,
        detail: `${lost} of ${accepted} accepted signups missing an entry${settled ? '' : ' (background work had not settled when waiting stopped)'}`,
      });
    }
  }

  if (!isSkipped(send)) {
    const mem = send.rows.find((row) => row.transport === 'memory');
    if (mem?.loopP50Us.send) {
      const v = mem.loopP50Us.send.median;
      goals.push({ id: 'send.memory.p50', text: 'memory send() p50 < 5 µs', pass: v < 5, detail: `${x(v)} µs` });
    }
    // The transport issues' goals: send() p50 next to the raw client's op, same process and rounds.
    for (const [kind, limit, op] of [
      ['nats', 1.2, 'js.publish'],
      ['redis', 1.5, 'XADD'],
    ] as const) {
      const row = send.rows.find((r) => r.transport === kind);
      const ratio = row?.loopP50Us.send && row.loopP50Us.raw ? row.loopP50Us.send.median / row.loopP50Us.raw.median : Number.NaN;
      goals.push({
        id: `send.${kind}.vsRaw`,
        text: `${kind} send() p50 ≤ ${limit}× a raw ${op}`,
        pass: Number.isFinite(ratio) ? ratio <= limit : null,
        detail: Number.isFinite(ratio)
          ? `${x(ratio)}× (${x(row?.loopP50Us.send?.median ?? 0)} vs ${x(row?.loopP50Us.raw?.median ?? 0)} µs)`
          : `not measured: needs ${kind}`,
      });
    }
    const redis = send.rows.find((row) => row.transport === 'redis');
    const p50 = redis?.sendOverBullmqAdd3P50;
    const mean = redis?.sendOverBullmqAdd3;
    goals.push({
      id: 'send.redis.vsBullmq',
      text: "on the same Redis, fan-out send() ≤ 0.3× BullMQ's three adds (p50)",
      pass: p50 ? p50.median <= 0.3 : null,
      detail:
        p50 && mean
          ? `p50 ${x(p50.median)}× (rounds ${x(p50.min)}–${x(p50.max)}×); benchmark.js mean ${x(mean.median)}×${redis?.rawOverBullmqAdd3P50 ? `; a bare XADD in the same rounds: ${x(redis.rawOverBullmqAdd3P50.median)}×` : ''}`
          : 'not measured: needs the Redis transport and Redis',
    });
  }

  if (!isSkipped(throughput)) {
    const mem = throughput.rows.find((row) => row.transport === 'memory');
    if (mem) {
      const v = mem.oneStepRunsPerSec.median;
      goals.push({ id: 'runs.memory', text: 'memory one-step runs/s ≥ 50,000', pass: v >= 50_000, detail: `${Math.round(v)} runs/s` });
    }
    const redis = throughput.rows.find((row) => row.transport === 'redis');
    const bull = throughput.bullmq.find((row) => row.concurrency === 100);
    const ratio = redis && bull ? redis.oneStepRunsPerSec.median / bull.jobsPerSec.median : Number.NaN;
    goals.push({
      id: 'runs.redis.vsBullmq',
      text: 'on the same Redis, one-step runs/s ≥ 2× BullMQ at concurrency 100',
      pass: Number.isFinite(ratio) ? ratio >= 2 : null,
      detail: Number.isFinite(ratio)
        ? `${x(ratio)}× (${Math.round(redis?.oneStepRunsPerSec.median ?? 0)} vs ${Math.round(bull?.jobsPerSec.median ?? 0)}/s)${rawNote(redis, bull?.jobsPerSec.median)}${redisCpuNote(redis, bull)}`
        : 'not measured: needs the Redis transport and Redis',
    });
    const nats = throughput.rows.find((row) => row.transport === 'nats');
    goals.push({
      id: 'runs.nats',
      text: 'nats one-step runs/s ≥ 15,000',
      pass: nats ? nats.oneStepRunsPerSec.median >= 15_000 : null,
      detail: nats ? `${Math.round(nats.oneStepRunsPerSec.median)} runs/s${rawNote(nats)}` : 'not measured: needs NATS',
    });
    for (const [kind, p50Limit] of [
      ['nats', 200],
      ['redis', 150],
    ] as const) {
      const l = throughput.latency.find((row) => row.transport === kind);
      const floor = throughput.rawFloor.find((row) => row.transport === kind);
      goals.push({
        id: `latency.${kind}`,
        text: `${kind} event → start p50 ≤ ${p50Limit} µs and p99 ≤ 1 ms at low load`,
        pass: l ? l.p50Us <= p50Limit && l.p99Us <= 1_000 : null,
        detail: l
          ? `p50 ${Math.round(l.p50Us)} µs, p99 ${Math.round(l.p99Us)} µs${floor ? ` (raw client floor in the same run: p50 ${Math.round(floor.p50Us)} µs, p99 ${Math.round(floor.p99Us)} µs)` : ''}`
          : `not measured: needs ${kind}`,
      });
    }
  }
  const flow = r.sections.flow;
  if (flow && !isSkipped(flow)) {
    for (const row of flow.rows) {
      goals.push({
        id: `flow.${row.transport}.throughput`,
        text: `${row.transport}: one-step runs/s with concurrency { limit: 10, key } over 1,000 keys ≥ 0.7× unlimited`,
        pass: row.ratio.median >= 0.7,
        detail: `${x(row.ratio.median)}× (${Math.round(row.limitedRunsPerSec.median)} vs ${Math.round(row.unlimitedRunsPerSec.median)} runs/s)`,
      });
      if (row.fairness && row.transport !== 'memory')
        goals.push({
          id: `flow.${row.transport}.fairness`,
          text: `${row.transport}: key B starts p50 ≤ 50 ms behind a ${row.fairness.backlog.toLocaleString('en')}-run backlog of key A`,
          pass: row.fairness.p50Ms <= 50,
          detail: `p50 ${x(row.fairness.p50Ms)} ms, p99 ${x(row.fairness.p99Ms)} ms; ${row.fairness.aStartedBeforeLastB} of A's runs had started by then (the backlog was parked ${x(row.fairness.parkSeconds)} s after its first send)`,
        });
      if (row.intakeSendP50Us) {
        const { plain, debounced, rateLimited } = row.intakeSendP50Us;
        const worst = Math.max(debounced, rateLimited) / plain;
        goals.push({
          id: `intake.${row.transport}.send`,
          text: `${row.transport}: send() p50 for a debounced and a rate-limited function ≤ 1.5× a plain one`,
          pass: worst <= 1.5,
          detail: `debounced ${x(debounced)} µs, rate-limited ${x(rateLimited)} µs, plain ${x(plain)} µs (worst ${x(worst)}×)`,
        });
      }
      if (row.delayed)
        goals.push({
          id: `intake.${row.transport}.delayed`,
          text: `${row.transport}: ${row.delayed.events.toLocaleString('en')} delayed events due in the same second all start within 1 s of it, none early`,
          pass: row.delayed.firstAfterDueMs >= 0 && row.delayed.lastAfterDueMs <= 1_000,
          detail: `first ${Math.round(row.delayed.firstAfterDueMs)} ms, last ${Math.round(row.delayed.lastAfterDueMs)} ms after the due time (sent in ${Math.round(row.delayed.sendMs)} ms)`,
        });
      if (row.throttle)
        goals.push({
          id: `flow.${row.transport}.throttle`,
          text: `${row.transport}: throttle starts per period within 5% of the limit over ${row.throttle.perPeriod.length} periods`,
          pass: row.throttle.worstDeviation <= 0.05,
          detail: `limit ${row.throttle.limit}: ${row.throttle.perPeriod.join(', ')} (worst ${(row.throttle.worstDeviation * 100).toFixed(1)}%)`,
        });
    }
  }
  const tracing = r.sections.tracing;
  if (tracing && !isSkipped(tracing)) {
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    for (const row of tracing.rows) {
      goals.push({
        id: `tracing.${row.transport}.none`,
        text: `${row.transport}: tracing with no provider registered costs ≤ 5% of one-step runs/s`,
        pass: row.noProviderOverhead.median <= 0.05,
        detail: `${pct(row.noProviderOverhead.median)} (median of per-round overheads; median runs/s ${Math.round(row.noProviderRunsPerSec.median)} vs ${Math.round(row.untracedRunsPerSec.median)} untraced)`,
      });
      goals.push({
        id: `tracing.${row.transport}.exporter`,
        text: `${row.transport}: tracing into an in-memory exporter costs ≤ 25% of one-step runs/s`,
        pass: row.exporterOverhead.median <= 0.25,
        detail: `${pct(row.exporterOverhead.median)} (median of per-round overheads; median runs/s ${Math.round(row.exporterRunsPerSec.median)} vs ${Math.round(row.untracedRunsPerSec.median)} untraced)`,
      });
    }
  }
  return goals;
}

/** The raw client's runs/s in the same run, so a goal reads against what the machine allows at all. */
function rawNote(row: ThroughputRow | undefined, bullmq?: number): string {
  const raw = row?.rawOneStepRunsPerSec?.median;
  if (raw === undefined) return '';
  const vs = bullmq ? `, ${x(raw / bullmq)}× BullMQ` : '';
  return ` (raw client making the same server calls per run, no eventide code: ${Math.round(raw)}/s${vs})`;
}

/** What a run costs the Redis server itself, beside BullMQ's job: the figure that caps many workers sharing one Redis. */
function redisCpuNote(row: ThroughputRow | undefined, bull: BullmqRow | undefined): string {
  const ours = row?.redisCpuUsPerRun?.median;
  const theirs = bull?.redisCpuUsPerJob?.median;
  if (ours === undefined || theirs === undefined || !Number.isFinite(ours) || !Number.isFinite(theirs)) return '';
  return `; Redis CPU per run ${x(ours)} µs vs BullMQ's ${x(theirs)} µs per job (${x(theirs / ours)}× the runs per Redis CPU-second)`;
}
