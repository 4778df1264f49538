/**
 * @module
 * What the suite asks a worker process for: the JSON `bench/worker.ts` gets
 * as its argument. Its own module so the spawning side (`child.ts`) and the
 * running side (`worker.ts`) both depend on it, not on each other.
 */
import type { TransportKind } from './env.js';

export type CaseSpec =
  /** kind 'bullmq-only': no eventide transport, only the raw Redis op and BullMQ (when Redis is up but the Redis transport is not). */
  | {
      case: 'send';
      kind: TransportKind | 'bullmq-only';
      rounds: number;
      maxTime: number;
      loop: number;
      durableLoop?: number;
      bullmq?: boolean;
    }
  | {
      case: 'throughput';
      kind: TransportKind;
      fanout: number;
      events: number;
      concurrency?: number;
      timeoutMs?: number;
      warmupRuns?: number;
    }
  | { case: 'bullmq-throughput'; concurrency: number; jobs: number; timeoutMs?: number; warmupRuns?: number }
  | { case: 'latency'; kind: TransportKind; n: number }
  | { case: 'bullmq-latency'; n: number }
  /** The raw client's publish → receive, the floor under the start latency on that server. */
  | { case: 'raw-latency'; kind: 'nats' | 'redis'; n: number }
  /** The raw client making a one-step run's server calls per event: the floor under runs/s on that server. */
  | { case: 'raw-throughput'; kind: 'nats' | 'redis'; events: number; warmupRuns?: number }
  | { case: 'heap'; runs: number }
  /** Flow control: runs/s limited per key next to unlimited; key B behind key A's backlog; a throttle's rate. */
  | { case: 'flow-throughput'; kind: TransportKind; events: number; warmupRuns: number }
  | { case: 'flow-fairness'; kind: TransportKind; backlog: number; probes: number }
  | { case: 'flow-throttle'; kind: TransportKind; limit: number; periodMs: number; periods: number }
  /** Intake gates: send() p50 for a debounced and a rate-limited function next to a plain one; a burst of delayed events due at once. */
  | { case: 'intake-send'; kind: TransportKind; n: number }
  | { case: 'delayed-burst'; kind: TransportKind; events: number; leadMs: number }
  /** Tracing: one-step runs/s untraced, with no provider registered, and with an in-memory exporter. */
  | { case: 'tracing-overhead'; kind: TransportKind; events: number; warmupRuns: number; round: number };
