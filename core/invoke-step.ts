/**
 * @module
 * The invoke step as a handler sees it (see invoke.ts for how the child's
 * end reaches the parent). The step is in one state at a time:
 *
 *   (none) ──child published──► sleeping ──child succeeded──► succeeded (its output)
 *                                   │ ──child failed or cancelled──► failed
 *                                   └──timeout passed──► failed (TimeoutError)
 *
 * A failed step throws `StepFailedError` into the handler, every time the
 * handler reaches it again; the handler may catch it.
 */
import { unserialisableReason } from './codec/values.js';
import { toMs, type Duration } from './duration.js';
import { NonRetriableError, StepFailedError, TimeoutError, coerceError, serializeError } from './errors.js';
import { childOutcome, type ChildRequest, type StartedChild } from './invoke.js';
import type { RunRecord } from './types.js';

/** A function to invoke: one made with `defineFunction`, or its id. */
export type InvokeTarget<Output = unknown> =
  string | { readonly id: string; readonly handler: (...args: never[]) => Output | Promise<Output> };

export interface InvokeOptions<Output = unknown> {
  function: InvokeTarget<Output>;
  /** The invoked run's `event.data`. */
  data?: unknown;
  /** Stop waiting after this long: the step fails with a TimeoutError (the child run goes on). Default: no limit. */
  timeout?: Duration;
}

/** What the invoke step needs of its attempt: a part of `StepHost` (step.ts), named here so neither file imports the other. */
export interface InvokeHost {
  readonly record: RunRecord;
  now(): number;
  readonly ended: boolean;
  beginNewStep(): void;
  replayedStep(): void;
  claimed(): Promise<void>;
  markDirty(): void;
  startChild(request: ChildRequest): Promise<StartedChild>;
}

/** The thrown value that parks the run until `until` (a sleep interrupt), or ends the attempt with a retry after `error`. */
export interface Parking {
  sleep(until: number): unknown;
  retry(error: Error): unknown;
  /** The attempt is over (cancelled, stopping): the step must not touch the record. */
  stopped(): unknown;
}

// Without a timeout the run still gets a wake time: it looks again then and parks once more. Below the 2^31 ms a
// Node timer can hold, so an in-memory transport's delay timer keeps it.
const noTimeoutRecheckMs = 20 * 24 * 3_600_000;

function functionIdOf(target: unknown, where: string): string {
  if (typeof target === 'string' && target.length > 0) return target;
  if (target && typeof target === 'object' && typeof (target as { id?: unknown }).id === 'string') return (target as { id: string }).id;
  throw new NonRetriableError(`${where}: function must be a function made with defineFunction, or its id`);
}

export async function invokeStep(host: InvokeHost, id: string, options: InvokeOptions, park: Parking): Promise<unknown> {
  const where = `step.invoke("${id}")`;
  if (!options || typeof options !== 'object') throw new NonRetriableError(`${where}: options { function, data, timeout? } are required`);
  const functionId = functionIdOf(options.function, where);
  const timeoutMs = options.timeout === undefined ? undefined : toMs(options.timeout, `${where}: timeout`);
  const steps = host.record.steps;
  const prior = steps[id];
  if (prior?.status === 'succeeded') {
    host.replayedStep();
    return prior.output;
  }
  if (prior?.status === 'failed') {
    host.replayedStep();
    throw new StepFailedError(id, prior.error ?? { name: 'Error', message: 'invoke failed' });
  }
  const now = host.now();
  if (prior?.status === 'sleeping') {
    // Woken before the child ended: by the timeout, or by something else (a crash, a sibling step).
    if (prior.wakeAt !== undefined && prior.wakeAt <= now) {
      const error = new TimeoutError(`the run of "${prior.invoked?.functionId ?? functionId}" did not end within the invoke's timeout`);
      steps[id] = { ...prior, status: 'failed', endedAt: now, error: serializeError(error) };
      host.beginNewStep();
      host.markDirty();
      throw new StepFailedError(id, serializeError(error));
    }
    throw park.sleep(prior.wakeAt ?? now + noTimeoutRecheckMs);
  }
  const reason = unserialisableReason(options.data, `${where}: data`);
  if (reason) throw new NonRetriableError(`${reason}; it travels as the invoked run's event, so it must be plain data`);
  await host.claimed();
  if (host.ended) throw park.stopped();
  host.beginNewStep();
  let child: StartedChild;
  try {
    child = await host.startChild({ parentRunId: host.record.id, stepId: id, functionId, data: options.data });
  } catch (thrown) {
    const error = coerceError(thrown);
    if (!(error instanceof NonRetriableError)) throw park.retry(error);
    steps[id] = { id, kind: 'invoke', status: 'failed', attempts: 1, startedAt: now, endedAt: host.now(), error: serializeError(error) };
    host.markDirty();
    throw new StepFailedError(id, serializeError(error));
  }
  if (host.ended) throw park.stopped();
  const invoked = { runId: child.runId, functionId };
  if (child.ended) {
    // An earlier attempt of this step started the child, and it has ended already: its outcome is the step's.
    const outcome = childOutcome(child.ended);
    steps[id] = { id, kind: 'invoke', attempts: 1, startedAt: now, endedAt: host.now(), invoked, ...outcome };
    host.markDirty();
    if (outcome.status === 'succeeded') return outcome.output;
    throw new StepFailedError(id, outcome.error);
  }
  const wakeAt = timeoutMs === undefined ? undefined : now + timeoutMs;
  steps[id] = { id, kind: 'invoke', status: 'sleeping', attempts: 1, startedAt: now, invoked, ...(wakeAt === undefined ? {} : { wakeAt }) };
  host.markDirty();
  throw park.sleep(wakeAt ?? now + noTimeoutRecheckMs);
}
