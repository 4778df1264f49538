/**
 * @module
 * `onFailure`: when a run fails for good, a run of its own (with retries and
 * steps, like any run) handles the failure.
 *
 * The failure becomes an `eventide/function.failed` envelope aimed at the
 * function's failure handler (`<id>-failure`), carrying the original event,
 * the error and the failed run's id. It is published before the failed run's
 * final write, under a message id derived from the failed run's id: a worker
 * dying between the two leaves the delivery unacked, the run fails again on
 * the next delivery and publishes the same id, which the transport (and the
 * derived run id) keep to one handler run.
 */
import { encodeEnvelope, type Envelope } from './codec/envelope.js';
import type { SerializedError } from './errors.js';
import { defineFunction, type EventideFunction } from './function.js';
import { runIdFor } from './ids.js';
import type { PublishOptions, PublishResult } from './transport.js';
import type { RunRecord, StoredEvent } from './types.js';

/** The name of the event a failure handler's run is started by. */
export const failedEventName = 'eventide/function.failed';

/** The failure handler of function `id` runs as this function. */
export const failureFunctionId = (functionId: string) => `${functionId}-failure`;

interface FailedEventData {
  functionId: string;
  runId: string;
  event: StoredEvent;
  error: SerializedError;
}

function errorOf(stored: SerializedError | undefined): Error {
  const error = new Error(stored?.message ?? 'the run failed');
  error.name = stored?.name ?? 'Error';
  if (stored?.stack) error.stack = stored.stack;
  return error;
}

/** The failure handler of `fn` as a function of its own, started only by envelopes aimed at it; `undefined` without `onFailure`. */
export function failureFunctionOf(fn: EventideFunction): EventideFunction | undefined {
  const onFailure = fn.config.onFailure;
  if (!onFailure) return undefined;
  const { retries, backoff, timeoutMs } = fn.config;
  const handler = defineFunction(
    {
      id: failureFunctionId(fn.id),
      trigger: { event: failedEventName },
      ...(retries === undefined ? {} : { retries }),
      ...(backoff === undefined ? {} : { backoff }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    },
    (ctx) => {
      const data = ctx.event.data as FailedEventData;
      return onFailure({
        event: data.event,
        error: errorOf(data.error),
        runId: data.runId,
        functionId: data.functionId,
        handlerRunId: ctx.runId,
        step: ctx.step,
        attempt: ctx.attempt,
        get logger() {
          return ctx.logger;
        },
        get signal() {
          return ctx.signal;
        },
      });
    },
  );
  // An event of that name sent by anyone starts nothing: only the envelope made here does.
  return { ...handler, matches: () => false };
}

/**
 * Publishes the failure of `record` to its function's failure handler and names the handler's run in the
 * record. Called before the failed run's final write, which carries that name.
 */
export async function publishFailure(
  record: RunRecord,
  publish: (subject: string, data: Uint8Array, options?: PublishOptions) => Promise<PublishResult>,
  now: number,
): Promise<void> {
  const functionId = failureFunctionId(record.functionId);
  const runId = runIdFor(functionId, record.id);
  const data: FailedEventData = {
    functionId: record.functionId,
    runId: record.id,
    event: record.event,
    error: record.error ?? { name: 'Error', message: 'the run failed' },
  };
  const env: Envelope = {
    v: 1,
    event: { name: failedEventName, id: `${record.id}.failure`, ts: now, data },
    target: { functionId, runId, failureOf: record.id },
  };
  await publish('events', encodeEnvelope(env), { msgId: runId, topic: failedEventName });
  record.onFailureRunId = runId;
}
