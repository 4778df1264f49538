/**
 * @module
 * Shapes shared by the signup benchmark's runner and its two server
 * processes (the signup service and the third-party services).
 */

export interface ThirdPartyConfig {
  latency: { minMs: number; medianMs: number; sigma: number; maxMs: number };
  failRate: number;
  port?: number;
}

export const defaultThirdParty: ThirdPartyConfig = { latency: { minMs: 80, medianMs: 140, sigma: 0.6, maxMs: 3_000 }, failRate: 0.05 };

export const kinds = ['trial', 'email', 'newsletter'] as const;

/** A call to the third party that has not answered by then fails (and its run retries it). */
export const thirdPartyTimeoutMs = 15_000;
export type Kind = (typeof kinds)[number];

export interface ThirdPartyStats {
  prefix: string;
  /** Distinct (kind, userId) entries recorded. */
  entries: Record<Kind, number>;
  /** Calls received (including failed and duplicate ones). */
  calls: Record<Kind, number>;
  /** Calls answered 500 by the failure injection. */
  failures: Record<Kind, number>;
  /** Successful calls for an entry that already existed. */
  duplicates: Record<Kind, number>;
  /** Users with all three entries / with some but not all. */
  complete: number;
  partial: number;
  users: number;
}

/** A standard normal draw (Box–Muller). */
function gaussian(): number {
  let u = 0;
  while (u === 0) u = Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}

export function drawLatency(l: ThirdPartyConfig['latency']): number {
  return Math.min(l.maxMs, l.minMs + (l.medianMs - l.minMs) * Math.exp(l.sigma * gaussian()));
}

export interface ServiceConfig {
  /** none: baseline and sync only; eventide: async through a runtime; bullmq: async through three BullMQ queues. */
  mode: 'none' | 'eventide' | 'bullmq';
  /** Transport URL for mode eventide. */
  transport?: string;
  /** Unique per run: eventide namespace, or prefix of the BullMQ queue names. */
  namespace: string;
  /** Base URL of the third-party server. */
  thirdParty: string;
  /** Runs (or BullMQ jobs) of each function executing at once. */
  concurrency: number;
  /** Retries after a failed call; with 5% failures, 5 retries lose about one call in 64 million. */
  retries: number;
  /** First retry delay; exponential with jitter after that. */
  backoffMs: number;
  /** Redis URL for BullMQ. */
  redis?: string;
}

export interface PhaseStats {
  phase: string;
  /** Signups answered 2xx. */
  accepted: number;
  /** Signups answered 5xx (a third-party call failed on the sync path, or send failed). */
  rejected: number;
  /** In-handler time of the endpoint's critical path (create, plus send or the BullMQ adds for async), µs. */
  critical: { n: number; p50: number; p90: number; p99: number; max: number } | null;
}
