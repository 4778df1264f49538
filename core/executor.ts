/**
 * @module
 * Turns one delivery of an event into one attempt of one function's run.
 *
 * For each delivery: decode (dead-letter what is not an event), check the
 * trigger, load or create the run record, move it to `running` (through the
 * run machine), run the handler with memoised steps, then write the outcome
 * and only after that settle the delivery: ack when the run is over, or hand
 * it back with a delay when it retries or sleeps. A record write that loses
 * compare-and-set means someone else moved the run (a cancel, or another
 * worker holding a redelivery); this attempt then leaves the run alone.
 */
import { Attempt, type ExecutorDeps } from './attempt.js';
import { decodeEnvelope, eventBytesOf, type Envelope } from './codec/envelope.js';
import { decodeRecord } from './codec/record.js';
import { coerceError } from './errors.js';
import type { Gate } from './flow/gate.js';
import type { EventideFunction } from './function.js';
import { runIdFor } from './ids.js';
import { settleEnded } from './invoke.js';
import { apply, changeOf, newRecord, runKey } from './run-record.js';
import { RunWriter } from './run-writer.js';
import type { Delivery, StoredValue } from './transport.js';
import { terminalStatuses } from './types.js';

export async function handleDelivery(fn: EventideFunction, delivery: Delivery, deps: ExecutorDeps, gate?: Gate): Promise<void> {
  const env = decodeEnvelope(delivery.data);
  if (typeof env === 'string') {
    deps.logger.warn('dead-lettering a message that is not an event', { functionId: fn.id, id: delivery.id, reason: env });
    await delivery.deadLetter(env);
    return;
  }
  let wanted: boolean;
  try {
    wanted = env.target ? env.target.functionId === fn.id : fn.matches(env.event);
  } catch (e) {
    await delivery.deadLetter(`trigger filter of "${fn.id}" threw: ${coerceError(e).message}`);
    return;
  }
  if (!wanted) {
    await delivery.ack();
    return;
  }
  const runId = env.target?.runId ?? runIdFor(fn.id, env.event.id);
  let held: string[] = [];
  try {
    let known: StoredValue | undefined;
    if (gate) {
      const passed = await gate.pass(runId, env, delivery);
      if (!passed) return;
      held = passed.held;
      known = passed.stored;
    }
    // A first delivery almost always meets no record: skip the read (see `claimFirst`). Past a gate, the gate read it.
    // A wake message (a parent resumed by its child) always meets a record.
    const fresh = gate ? !known : delivery.deliveryCount === 1 && !env.target?.wake;
    if (fresh && (await claimFirst(fn, runId, env, delivery, deps).holding(held).execute()) !== 'claim-lost') return;
    for (let tries = 0; tries < 3; tries++) {
      const started = await resume(fn, runId, env, delivery, deps);
      if (started === 'settled') return;
      if (started === 'duplicate') {
        // The slots this copy took are the running attempt's own (the run id holds them): they stay with it.
        held = [];
        return;
      }
      if (started && (await started.holding(held).execute()) !== 'claim-lost') return;
    }
    // Three lost races in a row: someone else is moving this run; look again shortly.
    await delivery.retry(250);
  } catch (e) {
    deps.logger.error('run could not be stored; the delivery will come back', { runId, functionId: fn.id, error: coerceError(e).message });
    await delivery.retry(1_000).catch(() => undefined);
  } finally {
    // After the outcome is written: the next waiter wakes to a run that has settled.
    for (const slot of held)
      await deps.slots
        .release(slot, runId)
        .catch((e: unknown) =>
          deps.logger.warn('could not give a concurrency slot back; its lease frees it', { runId, slot, error: coerceError(e).message }),
        );
  }
}

/**
 * A first delivery starts its run before the record exists: the handler
 * begins without waiting for a round trip, and the record is created (the
 * claim) as soon as the handler has started; its first step waits for the
 * claim. Should a record exist after all (the delivery count is only a
 * hint), the claim loses, no step has run, and the delivery is handled again
 * from the record.
 */
function claimFirst(fn: EventideFunction, runId: string, env: Envelope, delivery: Delivery, deps: ExecutorDeps): Attempt {
  const now = deps.clock.now();
  const created = newRecord(runId, fn.id, env, now);
  created.attempt = 1;
  apply(created, 'START');
  // The record stores the event as delivered; its bytes are in the envelope already (not in a replay's, see eventBytesOf).
  const writer = new RunWriter(deps.store, runKey(runId), undefined, eventBytesOf(delivery.data));
  const claim = () => {
    const held = writer.write(created);
    // Announced once the claim holds; every later change of this attempt is announced after it.
    held.then(
      (ok) => ok && deps.emit(changeOf(created, 'pending', now)),
      () => undefined,
    );
    return held;
  };
  return traced(new Attempt(fn, created, writer, delivery, deps, claim), env);
}

/** Loads the record (or creates it) and moves it to running. `undefined`: lost a race, try again. */
async function resume(
  fn: EventideFunction,
  runId: string,
  env: Envelope,
  delivery: Delivery,
  deps: ExecutorDeps,
): Promise<Attempt | 'settled' | 'duplicate' | undefined> {
  const key = runKey(runId);
  const stored = await deps.store.get(key);
  if (!stored) return claimFirst(fn, runId, env, delivery, deps);
  const now = deps.clock.now();
  const record = decodeRecord(stored.value);
  if (terminalStatuses.has(record.status)) {
    await settleEnded(record, delivery, deps);
    return 'settled';
  }
  if ((env.target?.wake ?? '') !== (record.turn ?? '')) {
    // A message parked for a turn the run has left (its timeout wake, after its child woke it): not this run's any more.
    await delivery.ack();
    return 'settled';
  }
  if ((record.status === 'sleeping' || record.status === 'retrying') && (record.nextAttemptAt ?? 0) > now) {
    // Back early (a redelivery after an ack wait): the run still waits.
    await delivery.retry((record.nextAttemptAt as number) - now);
    return 'settled';
  }
  const from = record.status;
  if (from === 'running' && delivery.deliveryCount === 1) {
    // A first delivery of a run someone is running is a second copy of its event (a publish sent again after its
    // reply was lost), not a sign that the holder died: that shows as a redelivery. Look again after the ack wait.
    await delivery.retry(deps.ackWaitMs);
    return 'duplicate';
  }
  if (from === 'running')
    record.attempt++; // the worker of the previous attempt died mid-run
  else {
    // A run woken from a sleep goes on with the same attempt, also when it waited for a slot after the sleep.
    const sleptLast = from === 'sleeping' || (from === 'waiting' && record.waitingFor?.after === 'sleeping');
    if (!sleptLast) record.attempt++;
    apply(record, 'START');
  }
  record.nextAttemptAt = undefined;
  record.waitingFor = undefined;
  record.updatedAt = now;
  const writer = new RunWriter(deps.store, key, stored.revision);
  if (!(await writer.write(record))) return undefined;
  if (from !== 'running') deps.emit(changeOf(record, from, now));
  return traced(new Attempt(fn, record, writer, delivery, deps), env);
}

/** Every attempt of a run is a child of the span that sent its event: retries and sleeps deliver the same envelope again. */
function traced(attempt: Attempt, env: Envelope): Attempt {
  attempt.traceparent = env.traceparent;
  return attempt;
}
