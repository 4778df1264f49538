/**
 * @module
 * The shapes users see: events, runs, steps, run-state changes.
 */
import type { SerializedError } from './errors.js';

export interface EventPayload<Name extends string = string, Data = unknown> {
  name: Name;
  data: Data;
  /** Deduplicates: sending the same id again creates runs once. Generated when absent. */
  id?: string;
  /** Epoch milliseconds; defaults to the time of `send`. */
  ts?: number;
}

/** An event as stored and as a handler receives it: id and ts are always set. */
export interface StoredEvent<Name extends string = string, Data = unknown> {
  name: Name;
  data: Data;
  id: string;
  ts: number;
}

export type RunStatus = 'pending' | 'running' | 'sleeping' | 'retrying' | 'waiting' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';

export const terminalStatuses: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled', 'skipped']);

export type StepKind = 'run' | 'sleep' | 'sendEvent' | 'invoke';

export interface StepRecord {
  id: string;
  kind: StepKind;
  /** `cancelled`: the run ended (cancelled, or failed for good) while the step was still open. */
  status: 'succeeded' | 'failed' | 'retrying' | 'sleeping' | 'cancelled';
  /** How many times the step's function ran. */
  attempts: number;
  startedAt: number;
  endedAt?: number;
  output?: unknown;
  /** The last error; with status 'failed' it is final and is thrown to the handler again on replay. */
  error?: SerializedError;
  /** For sleeps: when the run wakes. For invokes: when the wait for the child times out (absent: no timeout). */
  wakeAt?: number;
  /** For invokes: the child run, and its function. While the child runs the step is `sleeping`. */
  invoked?: { runId: string; functionId: string };
}

/** What a `waiting` run waits for: a concurrency slot, or its turn to start under a throttle. */
export interface WaitingFor {
  limit: 'concurrency' | 'throttle';
  /** Where the limit is configured: 'concurrency', 'concurrency[1]', 'throttle'. */
  option: string;
  /** The key the limit counts by (absent for a limit of the whole function). */
  key?: string;
  /** Epoch milliseconds when it began to wait. */
  since: number;
  /** Throttle: when its start is booked. */
  until?: number;
  /** The status it waits from when that was `sleeping`: its attempt goes on rather than starting a new one. */
  after?: 'sleeping';
}

/** One failed attempt: which, when, and what it threw (the stack is kept for the last one only, in `error`). */
export interface AttemptError {
  attempt: number;
  at: number;
  name: string;
  message: string;
}

/** How many failed attempts a run record remembers: enough to see a pattern, bounded so a record stays small. */
export const maxAttemptErrors = 20;

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
  at: number;
  attempt: number;
}

export interface RunRecord {
  id: string;
  functionId: string;
  eventId: string;
  event: StoredEvent;
  status: RunStatus;
  /** 1 on the first execution; grows with every retry. */
  attempt: number;
  steps: Record<string, StepRecord>;
  output?: unknown;
  error?: SerializedError;
  logs: LogLine[];
  /** Lines dropped once the per-run bound was reached. */
  logsDropped: number;
  createdAt: number;
  updatedAt: number;
  endedAt?: number;
  /** Each failed attempt's error, oldest first (the newest {@link maxAttemptErrors}); `error` is the last of them. */
  attemptErrors?: AttemptError[];
  /** The run this one re-runs, when started by `replay`. */
  replayOf?: string;
  /** Started by `step.invoke`: the parent run, and the id of its step that waits for this run's output. */
  parentRunId?: string;
  parentStepId?: string;
  /** A function's `onFailure` run: the run whose failure it handles. */
  failureOf?: string;
  /** A failed run whose function has `onFailure`: the run that handles the failure. */
  onFailureRunId?: string;
  /**
   * Which message may move the run: absent for its event, a step id once a finished child has woken the run
   * through a resume message for that step. Older messages still parked for it are stale and dropped.
   */
  turn?: string;
  /** The newest run that re-runs this one (`replay`): a replay by status leaves this run out. */
  replayedBy?: string;
  /**
   * Where in `logs` the lines written after the furthest step begin: a retried attempt that logs the
   * same lines again there (the code after its last step runs again) does not keep them twice.
   */
  logTail?: number;
  /** When a retrying or sleeping run is due to continue. */
  nextAttemptAt?: number;
  /** Set while the run is `waiting`. */
  waitingFor?: WaitingFor;
  /** Why a `skipped` run started no run: the option, and for an idempotency key the run that holds it. */
  skipped?: { option: 'rateLimit' | 'idempotency'; reason: string; heldBy?: string };
  /** A batch's events (`batchEvents`), in arrival order; `event` is the first of them. */
  events?: StoredEvent[];
  /** The run machine's persisted snapshot. */
  machine: unknown;
}

export interface RunStateChange {
  runId: string;
  functionId: string;
  eventId: string;
  from: RunStatus;
  to: RunStatus;
  attempt: number;
  /** Epoch milliseconds. */
  at: number;
  error?: SerializedError;
}

export interface RuntimeEvents {
  run: (change: RunStateChange) => void;
}
