/**
 * @module
 * `step.invoke`: a run starts another function's run and waits for its
 * output without holding a worker.
 *
 * The parent's invoke step publishes the child's envelope (its run id is
 * derived from the parent run and step, so a parent attempt that runs
 * again publishes the same child, which the transport and the run id
 * deduplicate), records the child's run id in the step, and parks like a
 * sleep whose wake time is the invoke's timeout.
 *
 * When the child ends, its final write goes with a hand-back of its
 * delivery rather than an ack, so the delivery comes once more: that
 * delivery tells the parent (`resolveParent`) and only then is acked. The
 * parent is told by a compare-and-set of the child's output or error into
 * its step, which also makes the parent's `turn` that step, and a resume
 * message for that turn published with an id derived from the step. A
 * worker dying at any point leaves the child's delivery unacked, so it comes
 * back and repeats what is missing; each part is idempotent. The parent's
 * own parked delivery, woken at its timeout, finds the turn moved and is
 * dropped as stale.
 */
import type { Clock } from './clock.js';
import { encodeEnvelope, type Envelope } from './codec/envelope.js';
import { decodeRecord, encodeRecord } from './codec/record.js';
import { NonRetriableError, type SerializedError } from './errors.js';
import { isServed } from './function-registry.js';
import { runIdFor } from './ids.js';
import { runKey } from './run-record.js';
import type { Delivery, KVStore, PublishOptions, PublishResult } from './transport.js';
import { terminalStatuses, type RunRecord, type StoredEvent } from './types.js';

/** The name of the event an invoked run receives; its data is the invoke's `data`. */
export const invokedEventName = 'eventide/function.invoked';

/** What the runtime does for an invoke step: check the function is served somewhere, then publish the child. */
export interface ChildRequest {
  parentRunId: string;
  stepId: string;
  functionId: string;
  data: unknown;
}

/** The child's envelope and run id: the same for every attempt of the parent's step. */
export function childEnvelope(request: ChildRequest, now: number): { runId: string; envelope: Envelope } {
  const eventId = `${request.parentRunId}.${request.stepId}`;
  const runId = runIdFor(request.functionId, eventId);
  const event: StoredEvent = { name: invokedEventName, data: request.data ?? {}, id: eventId, ts: now };
  return {
    runId,
    envelope: {
      v: 1,
      event,
      target: { functionId: request.functionId, runId, parent: { runId: request.parentRunId, stepId: request.stepId } },
    },
  };
}

export interface ResolveDeps {
  store: KVStore;
  clock: Clock;
  publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<PublishResult>;
}

/** What `startChild` found: the child's run id, and its record when it has ended already. */
export interface StartedChild {
  runId: string;
  ended?: RunRecord;
}

/** What an ended child run makes of the parent's step: its output, or its error (failed or cancelled). */
export function childOutcome(child: RunRecord): { status: 'succeeded'; output: unknown } | { status: 'failed'; error: SerializedError } {
  if (child.status === 'succeeded') return { status: 'succeeded', output: child.output };
  if (child.status === 'cancelled')
    return {
      status: 'failed',
      error: { name: 'CancelledError', message: `invoked run ${child.id} of "${child.functionId}" was cancelled` },
    };
  const e = child.error ?? { name: 'Error', message: 'failed' };
  return { status: 'failed', error: { ...e, message: `invoked run ${child.id} of "${child.functionId}" failed: ${e.message}` } };
}

/**
 * Tells the parent of an ended child run. `done`: the parent has the outcome (or no longer waits for it);
 * `later`: the parent has not parked at the step yet (its attempt is still writing), so try again shortly.
 */
export async function resolveParent(child: RunRecord, deps: ResolveDeps): Promise<'done' | 'later'> {
  const parentRunId = child.parentRunId;
  const stepId = child.parentStepId;
  if (!parentRunId || !stepId || !terminalStatuses.has(child.status)) return 'done';
  const key = runKey(parentRunId);
  for (let tries = 0; tries < 5; tries++) {
    const stored = await deps.store.get(key);
    // Gone past its retention, or ended (a cancel): nobody waits.
    if (!stored) return 'done';
    const parent = decodeRecord(stored.value);
    if (terminalStatuses.has(parent.status)) return 'done';
    const step = parent.steps[stepId];
    if (!step) return 'later';
    // An earlier parent attempt's child, or a step already resolved (by this child's earlier delivery, or its timeout).
    if (step.invoked?.runId !== child.id) return 'done';
    const now = deps.clock.now();
    if (step.status === 'sleeping') {
      // The attempt that parked the step is still writing: its write would lose to ours, so wait for it.
      if (parent.status === 'running') return 'later';
      parent.steps[stepId] = { ...step, endedAt: now, ...childOutcome(child) };
      if (parent.status === 'sleeping') {
        parent.turn = stepId;
        parent.nextAttemptAt = now;
      }
      parent.updatedAt = now;
      if ((await deps.store.update(key, encodeRecord(parent), stored.revision)) === undefined) continue;
    }
    // Published while the run still waits for this turn: after a crash between the write and the publish, the
    // child's delivery comes back and publishes again, with the same id.
    if (parent.status === 'sleeping' && parent.turn === stepId && (parent.nextAttemptAt ?? 0) <= now) {
      const resume: Envelope = { v: 1, event: parent.event, target: { functionId: parent.functionId, runId: parent.id, wake: stepId } };
      await deps.publish('events', encodeEnvelope(resume), { msgId: `${parent.id}.${stepId}.resume`, topic: parent.event.name });
    }
    return 'done';
  }
  return 'later';
}

export interface StartChildDeps extends ResolveDeps {
  /** True when this runtime has the function: no need to look for it in the namespace. */
  serves(functionId: string): boolean;
}

/**
 * Publishes the child's envelope, unless the child exists already (an earlier attempt of the step started
 * it); an ended child is handed back with its record. A function no runtime of the namespace serves is refused.
 */
export async function startChild(request: ChildRequest, deps: StartChildDeps): Promise<StartedChild> {
  if (!deps.serves(request.functionId) && !(await isServed(deps.store, request.functionId))) {
    throw new NonRetriableError(
      `step.invoke("${request.stepId}"): no runtime of this namespace serves a function "${request.functionId}" (pass it in some runtime's functions)`,
    );
  }
  const { runId, envelope } = childEnvelope(request, deps.clock.now());
  const stored = await deps.store.get(runKey(runId));
  if (stored) {
    const record = decodeRecord(stored.value);
    return terminalStatuses.has(record.status) ? { runId, ended: record } : { runId };
  }
  await deps.publish('events', encodeEnvelope(envelope), { msgId: runId, topic: invokedEventName });
  return { runId };
}

// A parent still writing its park is a matter of milliseconds; one whose worker died waits for its ack wait.
const laterDelayMs = (deliveryCount: number) => Math.min(5_000, 25 * 2 ** Math.min(deliveryCount, 8));
// Past this many deliveries the parent is taken not to be coming back to the step; the child's output stays in its record.
const maxTellings = 200;

/** Settles the delivery of a run that has ended: an invoked child tells its parent first, and comes back if the parent is not ready. */
export async function settleEnded(record: RunRecord, delivery: Delivery, deps: ResolveDeps): Promise<void> {
  if (record.parentRunId && delivery.deliveryCount < maxTellings && (await resolveParent(record, deps)) === 'later') {
    await delivery.retry(laterDelayMs(delivery.deliveryCount));
    return;
  }
  await delivery.ack();
}
