/**
 * @module
 * One attempt of one run: the handler executing with its steps, then its
 * outcome written and its delivery settled.
 *
 * An attempt is in one mode at a time:
 *
 *   executing ──handler returns, throws or times out──► settling ──► finished
 *       │ cancel()                                          │
 *       ├──────────────► cancelled ──► finished             │ cancel(): cancelled
 *       │ abandon() (from any mode but finished)            │
 *       └──────────────► abandoned ──► finished ◄───────────┘
 *
 * - `executing`: the handler runs. A step an earlier attempt completed
 *   returns its stored result instead of running again.
 * - `settling`: the handler is over; its outcome (or the first interrupt a
 *   step raised) is written with the delivery's ack or retry.
 * - `cancelled`: the run was cancelled elsewhere; the handler is stopped
 *   (its signal aborts) and the record is left as the cancel wrote it.
 * - `abandoned`: the runtime stops and cannot wait; nothing is written or
 *   settled, and the transport hands the delivery to another worker.
 * - `finished`: nothing more happens; late steps and log lines are ignored.
 *
 * Two things are not modes, because they change while the handler executes:
 * `replaying` (the handler is still before the furthest step an earlier
 * attempt reached, so its log lines were kept the first time and are not
 * kept again) and whether the record has changes not yet written.
 */
import type { Clock, TimerHandle } from './clock.js';
import type { Logger } from './logger.js';
import { unserialisableReason } from './codec/values.js';
import { NonRetriableError, StepFailedError, TimeoutError, coerceError, serializeError } from './errors.js';
import type { EventideFunction } from './function.js';
import { retryDelay } from './backoff.js';
import { createRunLogger, type RunLogger } from './run-logger.js';
import { apply, changeOf, closeOpenSteps, runKey } from './run-record.js';
import type { RunWriter } from './run-writer.js';
import { Interrupt, createStepTools, type StepHost } from './step.js';
import { startChild, type ChildRequest, type StartedChild } from './invoke.js';
import { publishFailure } from './on-failure.js';
import type { Delivery, KVStore, PublishOptions, PublishResult, Rates, Slots } from './transport.js';
import { decodeRecord } from './codec/record.js';
import type { RunMetrics } from './metrics/run-metrics.js';
import { attr, type TraceSpan, type Tracer } from './tracing.js';
import {
  maxAttemptErrors,
  terminalStatuses,
  type EventPayload,
  type LogLine,
  type RunRecord,
  type RunStateChange,
  type StepKind,
} from './types.js';

/** What an attempt needs from the runtime that runs it. */
export interface ExecutorDeps {
  store: KVStore;
  /** The transport's limit primitives, for functions with flow control. */
  slots: Slots;
  rates: Rates;
  clock: Clock;
  logger: Logger;
  maxLogsPerRun: number;
  ackWaitMs: number;
  emit(change: RunStateChange): void;
  /** Sends as `runtime.send` does; `parent` is the span of the step that sends. */
  send(events: EventPayload[], parent?: TraceSpan): Promise<{ ids: string[] }>;
  /** Publishes raw on the transport: envelopes aimed at one run (an invoked child, a parent's resume, a failure handler). */
  publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<PublishResult>;
  /** True when this runtime has the function (`step.invoke` then need not look for it in the namespace). */
  serves(functionId: string): boolean;
  /** Absent when tracing is off: every span below is then one check of `undefined`. */
  tracer?: Tracer;
  metrics: RunMetrics;
  /** Attempts executing in this process, by run id, so cancel and stop can reach them. */
  active: Map<string, Attempt>;
  /** Given with a finished run's last write when the store deletes it by age itself. */
  finishedExpireMs(): number | undefined;
}

export type AttemptMode = 'executing' | 'settling' | 'cancelled' | 'abandoned' | 'finished';

const held: Promise<boolean> = Promise.resolve(true);

type Outcome = { ok: true; output: unknown } | { ok: false; error: Error } | Interrupt;

export class Attempt implements StepHost {
  readonly retries: number;
  readonly delayFor: EventideFunction['delayFor'];
  private mode: AttemptMode = 'executing';
  replaying: boolean;
  private interrupted: Interrupt | undefined;
  private dirty = false;
  private replayed = 0;
  private readonly reachedBefore: number;
  // Made on first use: most handlers never look at their signal, and one per run showed in profiles.
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private stopNow: ((i: Interrupt) => void) | undefined;
  private claim: Promise<boolean> | undefined;
  /** Concurrency slots the run holds while this attempt executes: renewed with every heartbeat. */
  private held: readonly string[] = [];
  /** Steps whose functions run now (see `stepBegan`), and who waits for the last of them to end. */
  private underway = 0;
  private drained: (() => void) | undefined;
  private handlerSettled = false;
  /** Lines an earlier attempt kept after the furthest step, while this attempt may still be repeating them (see `repeats`). */
  private tail: LogLine[] | undefined;
  private tailAt = 0;
  /** The trace context its event carried (set by the executor); the parent of this attempt's span. */
  traceparent: string | undefined;
  /** This attempt's span, while tracing records; steps make theirs its children. */
  span: TraceSpan | undefined;

  constructor(
    private readonly fn: EventideFunction,
    readonly record: RunRecord,
    private readonly writer: RunWriter,
    private readonly delivery: Delivery,
    private readonly deps: ExecutorDeps,
    /** Makes the record this attempt's to write (a first delivery's claim); absent when it was read and moved already. */
    private readonly makeClaim?: () => Promise<boolean>,
  ) {
    this.retries = fn.retries;
    this.delayFor = fn.delayFor;
    // Every step an earlier attempt reached, finished or not: the code before each of them has logged already.
    this.reachedBefore = Object.keys(record.steps).length;
    this.replaying = this.reachedBefore > 0;
    if (this.replaying && (record.logTail ?? 0) < record.logs.length) this.tail = record.logs.slice(record.logTail ?? 0);
  }

  holding(slots: readonly string[]): this {
    this.held = slots;
    return this;
  }

  /** The handler no longer executes: steps must not touch the record. */
  get ended(): boolean {
    return this.mode !== 'executing';
  }

  get finished(): boolean {
    return this.mode === 'finished';
  }

  now(): number {
    return this.deps.clock.now();
  }

  interrupt(i: Interrupt): Interrupt {
    const first = this.interrupted;
    // Parallel steps that park (sleeps, invokes): the run wakes at the earliest of their times.
    if (first?.why.kind === 'sleep' && i.why.kind === 'sleep' && i.why.until < first.why.until) this.interrupted = i;
    else this.interrupted ??= i;
    return this.interrupted;
  }

  get acceptsNewSteps(): boolean {
    return this.mode === 'executing' && !this.interrupted && !this.handlerSettled;
  }

  stepBegan(): void {
    this.underway++;
  }

  stepEnded(): void {
    if (--this.underway === 0) this.drained?.();
  }

  stepAdded(): void {
    // Absent means 0: a run that has logged nothing carries no mark.
    if (this.record.logs.length > 0 || this.record.logTail !== undefined) this.record.logTail = this.record.logs.length;
  }

  /**
   * True for a line the code after the furthest step logs again, as an earlier attempt did (compared in
   * order): it was kept then. The first line that differs, or a step that runs anew, ends the comparison.
   */
  repeats(line: Pick<LogLine, 'level' | 'message' | 'fields'>): boolean {
    if (this.replaying || !this.tail) return false;
    const kept = this.tail[this.tailAt];
    if (kept && kept.level === line.level && kept.message === line.message && sameFields(kept.fields, line.fields)) {
      this.tailAt++;
      return true;
    }
    this.tail = undefined;
    return false;
  }

  beginNewStep(): void {
    this.replaying = false;
    this.tail = undefined;
    if (this.dirty) {
      this.dirty = false;
      // Written while the next step runs; settling the delivery waits for it.
      this.writer.write(this.record).catch(() => undefined);
    }
  }

  /** Resolves true once the record is this attempt's to write; the first call makes the claim. */
  private claimNow(): Promise<boolean> {
    return (this.claim ??= this.makeClaim ? this.makeClaim() : held);
  }

  async claimed(): Promise<void> {
    if (!(await this.claimNow())) throw this.interrupt(Interrupt.stopped());
  }

  replayedStep(): void {
    if (++this.replayed >= this.reachedBefore) this.replaying = false;
  }

  markDirty(): void {
    this.dirty = true;
  }

  send(events: EventPayload[], parent?: TraceSpan): Promise<{ ids: string[] }> {
    return this.deps.send(events, parent ?? this.span);
  }

  stepTimed(kind: StepKind, ms: number): void {
    this.deps.metrics.of(this.fn.id).step(kind, ms);
  }

  startChild(request: ChildRequest): Promise<StartedChild> {
    return startChild(request, this.deps);
  }

  /** The run was cancelled elsewhere: end the attempt now and leave the record as the cancel wrote it. */
  cancel(): void {
    if (this.mode !== 'executing' && this.mode !== 'settling') return;
    this.mode = 'cancelled';
    this.stop('run cancelled');
  }

  /** The runtime stops and cannot wait: end the attempt without writing or settling; the transport hands the delivery back. */
  abandon(): void {
    if (this.mode === 'finished') return;
    this.mode = 'abandoned';
    this.stop('runtime stopping');
  }

  private stop(reason: string): void {
    const i = this.interrupt(Interrupt.stopped());
    this.abort(new Error(reason));
    this.stopNow?.(i);
  }

  /** Sign of life for the delivery, so a long attempt keeps it past the ack wait (the runtime calls this for every attempt in flight). */
  heartbeat(): void {
    if (this.mode !== 'executing') return;
    void this.delivery.working().catch(() => undefined);
    for (const slot of this.held) {
      void this.deps.slots.renew(slot, this.record.id, this.deps.ackWaitMs).then(
        (still) => still || this.deps.logger.warn('a concurrency slot lapsed while its run executed', { runId: this.record.id, slot }),
        () => undefined,
      );
    }
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.abortReason !== undefined && !this.controller.signal.aborted) this.controller.abort(this.abortReason);
    return this.controller.signal;
  }

  private abort(reason: unknown): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  async execute(): Promise<void | 'claim-lost'> {
    const { record, deps } = this;
    deps.active.set(record.id, this);
    const startedAt = deps.clock.now();
    // Its first attempt, before any step: the run starts now (a replay's event is old, so it has no latency to tell).
    const first = record.attempt === 1 && this.reachedBefore === 0;
    let claimLost = false;
    try {
      const outcome = await this.runHandler();
      if (this.mode === 'executing') this.mode = 'settling';
      if (this.mode === 'abandoned') return;
      if (!(await this.claimNow())) {
        claimLost = true;
        return 'claim-lost';
      }
      // Read again: a cancel may have come while the claim was on its way.
      if ((this.mode as AttemptMode) === 'cancelled') {
        await this.writer.flush().catch(() => undefined);
        // An invoked child comes back once more to tell its parent (see settleEnded).
        await (record.parentRunId ? this.delivery.retry(0) : this.delivery.ack());
        return;
      }
      await this.finish(outcome);
    } finally {
      const outcome = this.mode === 'cancelled' || this.mode === 'abandoned' ? this.mode : record.status;
      this.mode = 'finished';
      deps.active.delete(record.id);
      if (!claimLost) this.observe(first, startedAt, outcome);
    }
  }

  private observe(first: boolean, startedAt: number, outcome: string): void {
    const { record, deps } = this;
    const now = deps.clock.now();
    const series = deps.metrics.of(this.fn.id);
    if (first) series.started(record.replayOf === undefined ? startedAt - record.event.ts : undefined);
    series.attempt(outcome, now - startedAt);
    const span = this.span;
    if (!span) return;
    span.setAttribute(attr.outcome, outcome);
    span.end(outcome === 'failed' || outcome === 'retrying' ? errorOf(record.error) : undefined);
  }

  /** Runs the handler until it settles or the attempt is stopped; a step's interrupt stands even if the handler caught it. */
  private async runHandler(): Promise<Outcome> {
    const { record, deps, fn } = this;
    const clock = deps.clock;
    let timer: TimerHandle | undefined;
    let stopped = false;
    const stop = new Promise<Interrupt>(
      (resolve) =>
        (this.stopNow = (i) => {
          stopped = true;
          resolve(i);
        }),
    );
    if (fn.timeoutMs !== undefined) {
      timer = clock.setTimeout(() => {
        const error = new TimeoutError(`attempt ${record.attempt} of "${fn.id}" ran past its timeout of ${fn.timeoutMs} ms`);
        this.abort(error);
        this.stopNow?.(Interrupt.retry(error));
      }, fn.timeoutMs);
    }
    let outcome: Outcome;
    try {
      let logger: RunLogger | undefined;
      const makeLogger = () => (logger ??= createRunLogger(this, deps.logger, deps.maxLogsPerRun));
      const signal = () => this.signal;
      const ctx = {
        event: record.event,
        events: record.events ?? [record.event],
        step: createStepTools(this),
        runId: record.id,
        attempt: record.attempt,
        // Made on first use, like the signal: many handlers never log.
        get logger() {
          return makeLogger();
        },
        get signal() {
          return signal();
        },
      };
      let running: Promise<unknown>;
      const tracer = deps.tracer;
      if (tracer) this.span = tracer.attempt(`run ${fn.id}`, this.spanAttributes(), this.traceparent);
      const span = this.span;
      try {
        running = Promise.resolve(span ? span.within(() => fn.handler(ctx)) : fn.handler(ctx));
      } catch (thrown) {
        running = Promise.reject(thrown);
      }
      // The handler has started (up to its first await) before the claim goes out.
      this.claimNow().catch(() => undefined);
      try {
        const result = await Promise.race([running, stop]);
        outcome = result instanceof Interrupt ? result : { ok: true, output: result };
      } catch (thrown) {
        outcome = thrown instanceof Interrupt ? thrown : { ok: false, error: coerceError(thrown) };
      }
      this.handlerSettled = true;
      // A step the handler left running (a sibling of one that failed, in Promise.all) finishes and is stored
      // with this outcome: its result is never dropped, so the next attempt does not run it again.
      if (this.underway > 0 && !stopped) await Promise.race([new Promise<void>((resolve) => (this.drained = resolve)), stop]);
    } finally {
      if (timer) clock.clearTimeout(timer);
    }
    return this.interrupted ?? outcome;
  }

  private spanAttributes(): Record<string, string | number> {
    const { record } = this;
    return {
      [attr.system]: 'eventide',
      [attr.operation]: 'process',
      [attr.destination]: record.event.name,
      [attr.messageId]: record.event.id,
      [attr.functionId]: this.fn.id,
      [attr.runId]: record.id,
      [attr.attempt]: record.attempt,
    };
  }

  private async finish(outcome: Outcome): Promise<void> {
    const { record, deps } = this;
    const now = this.now();
    const from = record.status;
    if (outcome instanceof Interrupt) {
      const why = outcome.why;
      if (why.kind === 'sleep') {
        apply(record, 'SLEEP');
        record.nextAttemptAt = why.until;
      } else if (why.kind === 'retry') {
        this.failAttempt(why.error, why.at, now);
      } else return; // a stop is a cancel or an abandon, handled before
    } else if (outcome.ok) {
      const reason = unserialisableReason(outcome.output, 'the run output');
      if (reason) this.failAttempt(new NonRetriableError(`${reason}; a run's output is stored, so it must be plain data`), undefined, now);
      else {
        record.output = outcome.output;
        record.error = undefined;
        apply(record, 'SUCCEED');
        record.endedAt = now;
      }
    } else this.failAttempt(outcome.error, undefined, now);
    record.updatedAt = now;
    const done = terminalStatuses.has(record.status);
    if (record.status === 'failed' && this.fn.config.onFailure)
      await publishFailure(record, (subject, data, options) => deps.publish(subject, data, options), now);
    if (done) closeOpenSteps(record, now);
    const delay = Math.max(0, (record.nextAttemptAt ?? now) - now);
    const expireMs = done ? deps.finishedExpireMs() : undefined;
    // An invoked child that ended is handed back rather than acked: its next delivery tells the parent (see invoke.ts).
    const ack = done && !record.parentRunId;
    const settled = await this.writer.settleWith(
      record,
      (write) => (ack ? this.delivery.ack(write) : this.delivery.retry(delay, write)),
      expireMs,
    );
    if (!settled) {
      // Lost compare-and-set: a cancel or another worker moved the run. If it has ended, this delivery is done;
      // otherwise its current holder settles it, or it comes back after its ack wait.
      const stored = await deps.store.get(runKey(record.id));
      if (stored && terminalStatuses.has(decodeRecord(stored.value).status)) await this.delivery.ack();
      return;
    }
    deps.emit(changeOf(record, from, now));
  }

  /** Records a failed attempt: retrying (at `at`, or after the function's backoff) while retries remain, failed otherwise. */
  private failAttempt(error: Error, at: number | undefined, now: number): void {
    const { record, fn } = this;
    record.error = serializeError(error);
    const history = record.attemptErrors ?? [];
    history.push({ attempt: record.attempt, at: now, name: record.error.name, message: record.error.message });
    record.attemptErrors = history.slice(-maxAttemptErrors);
    const final = error instanceof NonRetriableError || error instanceof StepFailedError;
    // A step's own retry decision (at) already counted the step's attempts; otherwise the run's attempts count.
    if (!final && (at !== undefined || record.attempt <= fn.retries)) {
      apply(record, 'RETRY');
      record.nextAttemptAt = at ?? now + retryDelay(error, record.attempt, fn.delayFor, now);
    } else {
      apply(record, 'FAIL');
      record.endedAt = now;
    }
  }
}

function sameFields(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  try {
    return JSON.stringify(a) === JSON.stringify(b);
  } catch {
    return false;
  }
}

function errorOf(error: RunRecord['error']): Error {
  const e = new Error(error?.message ?? 'attempt failed');
  e.name = error?.name ?? 'Error';
  return e;
}
