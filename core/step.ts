/**
 * @module
 * `step`: the durable building blocks of a handler. A completed step's
 * result (or final error) is kept in the run record; when the handler runs
 * again, after a retry or a redelivery, the step returns what it returned
 * before instead of running again.
 *
 * Sleeping and retrying do not hold the worker: the step records what it
 * waits for and interrupts the attempt; the executor writes the record and
 * hands the delivery back to the transport with a delay.
 */
import { compileBackoff, retryDelay, type Backoff, type DelayFor } from './backoff.js';
import { unserialisableReason } from './codec/values.js';
import { toMs, type Duration } from './duration.js';
import { NonRetriableError, StepFailedError, coerceError, serializeError } from './errors.js';
import { invokeStep, type InvokeOptions } from './invoke-step.js';
import type { ChildRequest, StartedChild } from './invoke.js';
import { attr, stepOperation, stepSpanName, type TraceSpan } from './tracing.js';
import type { EventPayload, RunRecord, StepKind, StepRecord } from './types.js';

export interface StepOptions {
  id: string;
  /** Retries of this step, instead of the function's. */
  retries?: number;
  /** Backoff of this step's retries, instead of the function's. */
  backoff?: Backoff;
}

export interface StepTools {
  /** Runs `fn` once per run; later attempts get its stored result. */
  run<T>(id: string | StepOptions, fn: () => Promise<T> | T): Promise<Awaited<T>>;
  /** Pauses the run for `duration` without holding a worker. */
  sleep(id: string, duration: Duration): Promise<void>;
  /** Pauses the run until `until` without holding a worker. */
  sleepUntil(id: string, until: Date | number | string): Promise<void>;
  /** Sends events once per run, even when the attempt is retried. */
  sendEvent(id: string, events: EventPayload | EventPayload[]): Promise<{ ids: string[] }>;
  /**
   * Runs another function with `data` as a run of its own and returns its output, without holding a worker
   * while it runs. Throws `StepFailedError` when that run fails, is cancelled, or outlasts `timeout`.
   */
  invoke<Output = unknown>(id: string, options: InvokeOptions<Output>): Promise<Output>;
}

/**
 * Why an attempt ends early: the run sleeps until a time; the attempt failed and the run retries (at a
 * time a step chose, or after the function's backoff); or the attempt stops with no outcome of its own
 * (cancelled, the runtime stopping, another worker holding the run).
 */
export type Interruption = { kind: 'sleep'; until: number } | { kind: 'retry'; error: Error; at?: number } | { kind: 'stopped' };

/** Thrown through the handler to end an attempt early; the attempt decides what follows. */
export class Interrupt {
  private constructor(readonly why: Interruption) {}

  static sleep(until: number): Interrupt {
    return new Interrupt({ kind: 'sleep', until });
  }

  static retry(error: Error, at?: number): Interrupt {
    return new Interrupt(at === undefined ? { kind: 'retry', error } : { kind: 'retry', error, at });
  }

  static stopped(): Interrupt {
    return new Interrupt({ kind: 'stopped' });
  }
}

/** What the step tools need from the attempt that runs them. */
export interface StepHost {
  readonly record: RunRecord;
  readonly retries: number;
  readonly delayFor: DelayFor;
  now(): number;
  /** Set once the attempt is over (timed out, cancelled, stopped): late steps must not touch the record. */
  readonly ended: boolean;
  /** The first interrupt wins, even if the handler swallowed it. */
  interrupt(i: Interrupt): Interrupt;
  /** A step result is about to be needed beyond what is stored: stop replaying, write what is pending. */
  beginNewStep(): void;
  /** A stored step was returned. */
  replayedStep(): void;
  /** A step record was added to the run (not one an earlier attempt stored). */
  stepAdded(): void;
  /**
   * False once the attempt's outcome is decided (an interrupt is pending, or the handler has returned or
   * thrown): a step not begun by then is not begun at all.
   */
  readonly acceptsNewSteps: boolean;
  /** A step began running its function: the attempt writes no outcome until it ended, so a sibling's failure never drops its result. */
  stepBegan(): void;
  /** That step's result (or error) is in the record. */
  stepEnded(): void;
  /** Resolves once the run's record is this attempt's; rejects (interrupting the attempt) when another holds it. */
  claimed(): Promise<void>;
  markDirty(): void;
  /** Starts (or finds again) the run an invoke step waits for; rejects with NonRetriableError when no runtime serves its function. */
  startChild(request: ChildRequest): Promise<StartedChild>;
  /** Sends as `runtime.send` does, under `parent` (the sending step's span) or else the attempt's. */
  send(events: EventPayload[], parent?: TraceSpan): Promise<{ ids: string[] }>;
  /** The attempt's span while tracing records; undefined otherwise. */
  readonly span: TraceSpan | undefined;
  /** A step ran (or a sleep ended) in `ms`: for the step duration metric. */
  stepTimed(kind: StepKind, ms: number): void;
}

/** A step's span, a child of the attempt's; `startTime` for a sleep that began in an earlier attempt. */
function stepSpan(host: StepHost, kind: StepKind, id: string, startTime?: number): TraceSpan | undefined {
  return host.span?.child(
    stepSpanName(kind, id),
    {
      [attr.stepId]: id,
      [attr.stepKind]: kind,
      [attr.operation]: stepOperation[kind],
      [attr.runId]: host.record.id,
      [attr.functionId]: host.record.functionId,
    },
    startTime,
  );
}

const stepIdPattern = /^[^\s]{1,200}$/;

export function createStepTools(host: StepHost): StepTools {
  const seen = new Map<string, number>();

  const uniqueId = (base: unknown): string => {
    if (typeof base !== 'string' || !stepIdPattern.test(base)) {
      throw new NonRetriableError(`step id ${JSON.stringify(base)} must be a non-empty string without spaces (at most 200 characters)`);
    }
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    // Loops call the same step id again; the suffix is stable because the handler repeats the same calls in the same order.
    return n === 0 ? base : `${base}:${n}`;
  };

  const guard = () => {
    if (host.ended) throw host.interrupt(Interrupt.stopped());
  };

  // Not registered as the attempt's interrupt: the outcome is decided already; this only keeps the step from starting.
  const mayBegin = () => {
    if (!host.acceptsNewSteps) throw Interrupt.stopped();
  };

  const put = (id: string, step: StepRecord) => {
    const steps = host.record.steps;
    const added = !(id in steps);
    steps[id] = step;
    if (added) host.stepAdded();
    host.markDirty();
  };

  async function memoised<T>(
    id: string,
    kind: StepRecord['kind'],
    retries: number,
    delayFor: DelayFor,
    fn: (span: TraceSpan | undefined) => Promise<T> | T,
  ): Promise<T> {
    guard();
    const steps = host.record.steps;
    const prior = steps[id];
    if (prior?.status === 'succeeded') {
      host.replayedStep();
      return prior.output as T;
    }
    if (prior?.status === 'failed') {
      host.replayedStep();
      throw new StepFailedError(id, prior.error ?? { name: 'Error', message: 'step failed' });
    }
    if (prior) host.replayedStep();
    await host.claimed();
    guard();
    mayBegin();
    // Counted until its record is written: the attempt writes no outcome while a step is under way.
    host.stepBegan();
    try {
      host.beginNewStep();
      const startedAt = host.now();
      const attempts = (prior?.attempts ?? 0) + 1;
      const span = host.span ? stepSpan(host, kind, id) : undefined;
      let output: T;
      try {
        output = await (span ? span.within(() => fn(span)) : fn(undefined));
        const reason = unserialisableReason(output, `output of step "${id}"`);
        if (reason) throw new NonRetriableError(`${reason}; a step's result is stored with the run, so it must be plain data`);
      } catch (thrown) {
        host.stepTimed(kind, host.now() - startedAt);
        span?.end(thrown instanceof Interrupt ? undefined : coerceError(thrown));
        if (thrown instanceof Interrupt) throw thrown;
        guard();
        const error = coerceError(thrown);
        const final = error instanceof NonRetriableError || error instanceof StepFailedError || attempts > retries;
        put(id, {
          id,
          kind,
          status: final ? 'failed' : 'retrying',
          attempts,
          startedAt,
          endedAt: host.now(),
          error: serializeError(error),
        });
        if (!final) throw host.interrupt(Interrupt.retry(error, host.now() + retryDelay(error, attempts, delayFor, host.now())));
        if (error instanceof NonRetriableError) throw error;
        throw new StepFailedError(id, serializeError(error));
      }
      host.stepTimed(kind, host.now() - startedAt);
      span?.end();
      guard();
      put(id, { id, kind, status: 'succeeded', attempts, startedAt, endedAt: host.now(), output });
      return output;
    } finally {
      host.stepEnded();
    }
  }

  const sleepTo = async (id: string, wakeAt: number): Promise<void> => {
    guard();
    const steps = host.record.steps;
    const prior = steps[id];
    if (prior?.status === 'succeeded') {
      host.replayedStep();
      return;
    }
    const now = host.now();
    if (prior?.status === 'sleeping') {
      if ((prior.wakeAt ?? 0) <= now) {
        // The sleep's span and duration run from when it began, in an earlier attempt, to now.
        stepSpan(host, 'sleep', id, prior.startedAt)?.end();
        host.stepTimed('sleep', now - prior.startedAt);
        steps[id] = { ...prior, status: 'succeeded', endedAt: now };
        host.beginNewStep();
        host.markDirty();
        return;
      }
      throw host.interrupt(Interrupt.sleep(prior.wakeAt ?? now));
    }
    await host.claimed();
    mayBegin();
    host.beginNewStep();
    if (wakeAt <= now) {
      stepSpan(host, 'sleep', id)?.end();
      host.stepTimed('sleep', 0);
      put(id, { id, kind: 'sleep', status: 'succeeded', attempts: 1, startedAt: now, endedAt: now, wakeAt });
      return;
    }
    put(id, { id, kind: 'sleep', status: 'sleeping', attempts: 1, startedAt: now, wakeAt });
    throw host.interrupt(Interrupt.sleep(wakeAt));
  };

  return {
    run<T>(idOrOptions: string | StepOptions, fn: () => Promise<T> | T): Promise<Awaited<T>> {
      const options = typeof idOrOptions === 'string' ? { id: idOrOptions } : idOrOptions;
      const id = uniqueId(options?.id);
      if (typeof fn !== 'function') throw new NonRetriableError(`step "${id}": the second argument must be a function`);
      const retries = options.retries ?? host.retries;
      const delayFor = options.backoff ? compileBackoff(options.backoff, `step "${id}"`) : host.delayFor;
      return memoised(id, 'run', retries, delayFor, () => fn() as Promise<Awaited<T>>);
    },
    sleep(id, duration) {
      const uid = uniqueId(id);
      const prior = host.record.steps[uid];
      return sleepTo(uid, prior?.wakeAt ?? host.now() + toMs(duration, `step.sleep("${id}")`));
    },
    sleepUntil(id, until) {
      const uid = uniqueId(id);
      const at = until instanceof Date ? until.getTime() : typeof until === 'string' ? Date.parse(until) : until;
      if (!Number.isFinite(at)) throw new NonRetriableError(`step.sleepUntil("${id}"): ${String(until)} is not a date`);
      return sleepTo(uid, at);
    },
    sendEvent(id, events) {
      const uid = uniqueId(id);
      const list = Array.isArray(events) ? events : [events];
      // Ids derived from the run and step make a re-sent batch (after a crash before the result was stored) deduplicate in the transport.
      const withIds = list.map((e, i) => ({ ...e, id: e?.id ?? `${host.record.id}.${uid}.${i}` }));
      return memoised(uid, 'sendEvent', host.retries, host.delayFor, (span) => host.send(withIds, span));
    },
    invoke<Output>(id: string, options: InvokeOptions<Output>): Promise<Output> {
      const uid = uniqueId(id);
      guard();
      return invokeStep(host, uid, options, {
        sleep: (until) => host.interrupt(Interrupt.sleep(until)),
        retry: (error) => host.interrupt(Interrupt.retry(error)),
        stopped: () => host.interrupt(Interrupt.stopped()),
      }) as Promise<Output>;
    },
  };
}
