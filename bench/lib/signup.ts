/**
 * @module
 * Section 1 of the suite: the signup endpoint, sync vs async, over real
 * HTTP. Starts the third-party server and one signup service per variant as
 * child processes, loads them with autocannon, then waits for the
 * background work to settle and counts what the third party received.
 */
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { cleanupNamespace, sleep, transportUrl, uniqueNamespace, urls, type TransportKind } from './env.js';
import { httpJson, startServer, type Server } from './child.js';
import {
  kinds,
  thirdPartyTimeoutMs,
  type Kind,
  type PhaseStats,
  type ServiceConfig,
  type ThirdPartyConfig,
  type ThirdPartyStats,
} from './signup-model.js';
import { percentile, rounds, type Rounds } from './stats.js';

export type Variant = 'none' | TransportKind | 'bullmq';

export interface SignupOptions {
  connections: number[];
  durationS: number;
  /** A load of this many seconds before measuring each endpoint (JIT, connections, first-use costs); 0 for none. */
  warmupS: number;
  rounds: number;
  thirdParty: ThirdPartyConfig;
  concurrency: number;
  retries: number;
  backoffMs: number;
  /** Variants with background work to measure (memory, nats, redis, bullmq). */
  variants: Exclude<Variant, 'none'>[];
  /** Stop waiting for background work when nothing moved for this long (never less than a third-party call's timeout, so one hung call is not read as lost work). */
  stallMs: number;
  /** Longest wait for background work after a load; generous, since a fast endpoint can accept far more signups than the workers drain in seconds (stallMs catches a real stall). */
  settleCapMs: number;
}

/** Percentiles drawn in the latency chart. */
export const curvePercentiles = [0, 10, 25, 50, 75, 90, 95, 97.5, 99, 99.9, 100];

export interface LoadRound {
  phase: string;
  requests: number;
  reqPerSec: number;
  /** ms, over every response (2xx or not). */
  latency: { p50: number; p90: number; p99: number; max: number };
  curve: number[];
  non2xx: number;
  errors: number;
  timeouts: number;
  accepted: number;
  rejected: number;
  /** In-handler critical path, µs (baseline: create; async: create + send). */
  critical: PhaseStats['critical'];
  /** Event-loop delay of the service during the load, ms: how long ready work waited for the thread. */
  loopDelayMs: { p50: number; p99: number; max: number };
  background?: Background;
}

/** What the third party received for one load, once the background work settled. */
export interface Background extends Omit<ThirdPartyStats, 'prefix' | 'users'> {
  settled: boolean;
  settleMs: number;
  perAccepted: Record<Kind, number>;
  /** Accepted signups missing at least one entry once settled (or when waiting gave up). */
  lost: number;
}

export interface SignupRow {
  endpoint: 'baseline' | 'sync' | 'async';
  variant: Variant;
  connections: number;
  reqPerSec: Rounds;
  p50: Rounds;
  p90: Rounds;
  p99: Rounds;
  max: Rounds;
  non2xxShare: number;
  criticalP50Us: number;
  /** Event-loop delay p99 of the service during the loads (median over rounds), ms. */
  loopDelayP99Ms: number;
  /** Summed over rounds. */
  accepted: number;
  lost: number;
  settled: boolean;
  perAccepted?: Record<Kind, number>;
  partial: number;
  rounds: LoadRound[];
}

export interface SignupSection {
  options: SignupOptions;
  rows: SignupRow[];
  skipped: { variant: string; reason: string }[];
}

type Progress = (line: string) => void;

async function load(
  server: Server,
  endpoint: string,
  connections: number,
  durationS: number,
  phase: string,
): Promise<Omit<LoadRound, 'accepted' | 'rejected' | 'critical' | 'background'>> {
  const samples: number[] = [];
  await httpJson(`${server.url}/loop/reset`, {});
  const instance = autocannon({
    url: `${server.url}/signup/${endpoint}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ada.lovelace@example.com', name: 'Ada Lovelace', phase }),
    connections,
    duration: durationS,
    timeout: 30,
  });
  // Our own record of every response's latency, in ms with µs precision (autocannon's histogram keeps whole ms and 2xx only).
  (instance as unknown as { on(e: 'response', f: (c: unknown, status: number, bytes: number, ms: number) => void): void }).on(
    'response',
    (_c, _s, _b, ms) => samples.push(ms),
  );
  const t0 = performance.now();
  const r = await instance;
  const seconds = (performance.now() - t0) / 1000;
  const loopDelayMs = await httpJson<LoadRound['loopDelayMs']>(`${server.url}/loop`);
  const sorted = Float64Array.from(samples).sort();
  return {
    phase,
    requests: samples.length,
    reqPerSec: samples.length / Math.max(seconds, r.duration || durationS),
    latency: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1] ?? Number.NaN,
    },
    curve: curvePercentiles.map((p) => (p === 0 ? sorted[0] : percentile(sorted, p))),
    loopDelayMs,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

/** Waits until the service has answered everything in flight and (async) the third party holds every accepted signup's three entries. */
async function settle(
  thirdParty: Server,
  service: Server,
  phase: string,
  background: boolean,
  o: SignupOptions,
): Promise<{ svc: PhaseStats; background?: Background }> {
  const t0 = Date.now();
  let lastProgress = -1;
  let lastChange = Date.now();
  for (;;) {
    const svc = await httpJson<PhaseStats>(`${service.url}/stats?phase=${encodeURIComponent(phase)}`);
    const tp = await httpJson<ThirdPartyStats>(`${thirdParty.url}/stats?prefix=${encodeURIComponent(`${phase}.`)}`);
    const calls = kinds.reduce((s, k) => s + tp.calls[k], 0);
    const progress = svc.accepted + svc.rejected + calls + tp.complete;
    if (progress !== lastProgress) {
      lastProgress = progress;
      lastChange = Date.now();
    }
    const quiet = Date.now() - lastChange;
    const settled = background ? tp.complete >= svc.accepted && quiet >= 300 : quiet >= 1_000;
    const gaveUp = quiet > Math.max(o.stallMs, thirdPartyTimeoutMs + 2_000) || Date.now() - t0 > o.settleCapMs;
    if (settled || gaveUp) {
      const perAccepted = {} as Record<Kind, number>;
      for (const k of kinds) perAccepted[k] = svc.accepted ? tp.entries[k] / svc.accepted : Number.NaN;
      return {
        svc,
        background: {
          settled,
          settleMs: Date.now() - t0,
          entries: tp.entries,
          perAccepted,
          calls: tp.calls,
          failures: tp.failures,
          duplicates: tp.duplicates,
          complete: tp.complete,
          partial: tp.partial,
          lost: Math.max(0, svc.accepted - tp.complete),
        },
      };
    }
    await sleep(200);
  }
}

function summarise(endpoint: SignupRow['endpoint'], variant: Variant, connections: number, list: LoadRound[]): SignupRow {
  const requests = list.reduce((s, r) => s + r.requests, 0);
  const non2xx = list.reduce((s, r) => s + r.non2xx, 0);
  const accepted = list.reduce((s, r) => s + r.accepted, 0);
  const bg = list.map((r) => r.background).filter((b): b is Background => !!b);
  const perAccepted = {} as Record<Kind, number>;
  for (const k of kinds) perAccepted[k] = accepted ? bg.reduce((s, b) => s + b.entries[k], 0) / accepted : Number.NaN;
  return {
    endpoint,
    variant,
    connections,
    reqPerSec: rounds(list.map((r) => r.reqPerSec)),
    p50: rounds(list.map((r) => r.latency.p50)),
    p90: rounds(list.map((r) => r.latency.p90)),
    p99: rounds(list.map((r) => r.latency.p99)),
    max: rounds(list.map((r) => r.latency.max)),
    non2xxShare: requests ? non2xx / requests : Number.NaN,
    criticalP50Us: rounds(list.map((r) => r.critical?.p50 ?? Number.NaN)).median,
    loopDelayP99Ms: rounds(list.map((r) => r.loopDelayMs.p99)).median,
    accepted,
    lost: bg.reduce((s, b) => s + b.lost, 0),
    settled: bg.every((b) => b.settled),
    perAccepted,
    partial: bg.reduce((s, b) => s + b.partial, 0),
    rounds: list,
  };
}

export async function runSignupSection(o: SignupOptions, progress: Progress, onChildLine?: (l: string) => void): Promise<SignupSection> {
  const rows: SignupRow[] = [];
  const skipped: SignupSection['skipped'] = [];
  const thirdParty = await startServer('third-party', o.thirdParty, { onLine: onChildLine });
  const base = { thirdParty: thirdParty.url, concurrency: o.concurrency, retries: o.retries, backoffMs: o.backoffMs, redis: urls.redis };
  try {
    const variants: Variant[] = ['none', ...o.variants];
    for (const variant of variants) {
      const namespace = uniqueNamespace(`signup${variant}`);
      const cfg: ServiceConfig =
        variant === 'none'
          ? { ...base, mode: 'none', namespace }
          : variant === 'bullmq'
            ? { ...base, mode: 'bullmq', namespace }
            : { ...base, mode: 'eventide', transport: transportUrl(variant), namespace };
      let service: Server;
      try {
        service = await startServer('signup-service', cfg, { onLine: onChildLine });
      } catch (e) {
        skipped.push({ variant, reason: (e as Error).message.split('\n')[0] });
        progress(`skipped signup on ${variant}: ${(e as Error).message.split('\n')[0]}`);
        continue;
      }
      try {
        const endpoints: SignupRow['endpoint'][] = variant === 'none' ? ['baseline', 'sync'] : ['async'];
        for (const endpoint of endpoints) {
          if (o.warmupS > 0) {
            const phase = `${variant}-${endpoint}-warmup-${Date.now().toString(36)}`;
            progress(`signup ${endpoint.padEnd(8)} ${variant === 'none' ? '' : `on ${variant} `}· warm-up ${o.warmupS} s`);
            await load(service, endpoint, o.connections[0], o.warmupS, phase);
            await settle(thirdParty, service, phase, endpoint === 'async', o);
          }
          for (const connections of o.connections) {
            const list: LoadRound[] = [];
            for (let round = 0; round < o.rounds; round++) {
              const phase = `${variant}-${endpoint}-c${connections}-r${round}-${Date.now().toString(36)}`;
              progress(
                `signup ${endpoint.padEnd(8)} ${variant === 'none' ? '' : `on ${variant} `}· ${connections} connections · ${o.durationS} s${o.rounds > 1 ? ` · round ${round + 1}/${o.rounds}` : ''}`,
              );
              const measured = await load(service, endpoint, connections, o.durationS, phase);
              const t0 = Date.now();
              const { svc, background } = await settle(thirdParty, service, phase, endpoint === 'async', o);
              if (endpoint === 'async' && background)
                progress(
                  `  ${measured.requests} requests, ${svc.accepted} accepted; background ${background.settled ? 'settled' : 'NOT settled'} after ${((Date.now() - t0) / 1000).toFixed(1)} s, ${background.lost} lost`,
                );
              list.push({
                ...measured,
                accepted: svc.accepted,
                rejected: svc.rejected,
                critical: svc.critical,
                ...(endpoint === 'baseline' ? {} : { background }),
              });
            }
            rows.push(summarise(endpoint, variant, connections, list));
          }
        }
      } finally {
        await service.stop();
        if (variant !== 'none') await cleanupNamespace(variant, namespace).catch(() => undefined);
      }
    }
  } finally {
    await thirdParty.stop();
  }
  return { options: o, rows, skipped };
}
