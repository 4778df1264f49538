/**
 * @module
 * How much each mode measures: loads, rounds, event and job counts.
 */
import type { TransportKind } from '../env.js';
import type { Mode } from '../results.js';
import { defaultThirdParty } from '../signup-model.js';
import type { SignupOptions } from '../signup.js';

export interface Plan {
  signup: SignupOptions;
  send: { rounds: number; maxTime: number; loop: number; durableLoop: number };
  throughput: {
    rounds: number;
    events: Record<TransportKind, number>;
    bullmq: Record<number, number>;
    latencyN: number;
    warmupRuns: number;
  };
  heap: { runs: number; rounds: number };
  /** One-step runs/s per tracing variant (see tracing-overhead.ts). */
  tracing: { rounds: number; events: Record<TransportKind, number>; warmupRuns: number };
  flow: {
    rounds: number;
    events: Record<TransportKind, number>;
    warmupRuns: number;
    backlog: Record<TransportKind, number>;
    probes: number;
    throttle: { limit: number; periodMs: number; periods: number };
    /** Sequential sends per runtime for the intake send() cost. */
    intakeSends: number;
    /** Delayed events all due in the same second, and how far ahead of it they are sent. */
    delayed: Record<TransportKind, number>;
    delayedLeadMs: Record<TransportKind, number>;
  };
}

export const plans: Record<Mode, Plan> = {
  smoke: {
    signup: {
      connections: [4],
      durationS: 1,
      warmupS: 0,
      rounds: 1,
      thirdParty: { latency: { minMs: 2, medianMs: 5, sigma: 0.5, maxMs: 50 }, failRate: 0.05 },
      concurrency: 50,
      retries: 5,
      backoffMs: 10,
      variants: [],
      stallMs: 5_000,
      settleCapMs: 15_000,
    },
    send: { rounds: 1, maxTime: 0.05, loop: 200, durableLoop: 50 },
    throughput: {
      rounds: 1,
      events: { memory: 300, nats: 100, redis: 100 },
      bullmq: { 1: 50, 10: 100, 100: 100 },
      latencyN: 10,
      warmupRuns: 200,
    },
    heap: { runs: 2_000, rounds: 1 },
    tracing: { rounds: 1, events: { memory: 300, nats: 100, redis: 100 }, warmupRuns: 100 },
    flow: {
      rounds: 1,
      events: { memory: 500, nats: 200, redis: 200 },
      warmupRuns: 200,
      backlog: { memory: 200, nats: 100, redis: 100 },
      probes: 3,
      throttle: { limit: 20, periodMs: 500, periods: 2 },
      intakeSends: 50,
      delayed: { memory: 1_000, nats: 200, redis: 200 },
      delayedLeadMs: { memory: 1_000, nats: 2_000, redis: 2_000 },
    },
  },
  quick: {
    signup: {
      connections: [10, 50],
      durationS: 3,
      warmupS: 1,
      rounds: 1,
      thirdParty: defaultThirdParty,
      concurrency: 200,
      retries: 5,
      backoffMs: 100,
      variants: [],
      stallMs: 10_000,
      settleCapMs: 240_000,
    },
    send: { rounds: 3, maxTime: 0.25, loop: 20_000, durableLoop: 1_000 },
    throughput: {
      rounds: 3,
      events: { memory: 10_000, nats: 2_000, redis: 10_000 },
      bullmq: { 1: 1_000, 10: 2_000, 100: 10_000 },
      latencyN: 500,
      warmupRuns: 10_000,
    },
    heap: { runs: 100_000, rounds: 1 },
    tracing: { rounds: 3, events: { memory: 20_000, nats: 3_000, redis: 5_000 }, warmupRuns: 2_000 },
    flow: {
      rounds: 2,
      events: { memory: 10_000, nats: 2_000, redis: 5_000 },
      warmupRuns: 5_000,
      backlog: { memory: 10_000, nats: 10_000, redis: 10_000 },
      probes: 20,
      throttle: { limit: 50, periodMs: 1_000, periods: 10 },
      intakeSends: 1_000,
      delayed: { memory: 100_000, nats: 100_000, redis: 100_000 },
      delayedLeadMs: { memory: 10_000, nats: 60_000, redis: 30_000 },
    },
  },
  full: {
    signup: {
      connections: [10, 50, 100],
      durationS: 10,
      warmupS: 3,
      rounds: 3,
      thirdParty: defaultThirdParty,
      concurrency: 200,
      retries: 5,
      backoffMs: 100,
      variants: [],
      stallMs: 20_000,
      settleCapMs: 600_000,
    },
    send: { rounds: 5, maxTime: 1, loop: 50_000, durableLoop: 5_000 },
    throughput: {
      rounds: 5,
      events: { memory: 60_000, nats: 10_000, redis: 10_000 },
      bullmq: { 1: 3_000, 10: 10_000, 100: 10_000 },
      latencyN: 1_000,
      warmupRuns: 10_000,
    },
    heap: { runs: 100_000, rounds: 3 },
    tracing: { rounds: 5, events: { memory: 60_000, nats: 10_000, redis: 10_000 }, warmupRuns: 5_000 },
    flow: {
      rounds: 3,
      events: { memory: 20_000, nats: 5_000, redis: 10_000 },
      warmupRuns: 10_000,
      backlog: { memory: 10_000, nats: 10_000, redis: 10_000 },
      probes: 50,
      throttle: { limit: 100, periodMs: 1_000, periods: 10 },
      intakeSends: 5_000,
      delayed: { memory: 100_000, nats: 100_000, redis: 100_000 },
      delayedLeadMs: { memory: 10_000, nats: 60_000, redis: 30_000 },
    },
  },
};
