/**
 * @module
 * The gate a run of a function with flow control passes before it
 * executes: its throttle books a start time, then each concurrency limit
 * gives it a slot. A run that must wait is written as `waiting` (what it
 * waits for, since when) and lets its delivery go:
 *
 * - for a throttle, the delivery comes back when its booked start is due;
 * - for a slot, the run parks in the limit's queue on the transport with
 *   the message that wakes it (a copy of its envelope aimed at this
 *   function and run), and the delivery is acked. Whoever frees a slot, in
 *   any process, has the transport publish the first waiter's message;
 *   nothing polls, and a parked run holds neither a worker nor a delivery.
 *
 * The run id is the holder, so asking again (a redelivery, a wake) finds
 * the slot it holds or its place in the queue.
 */
import { encodeEnvelope, type Envelope } from '../codec/envelope.js';
import { decodeRecord, encodeRecord } from '../codec/record.js';
import { coerceError, serializeError } from '../errors.js';
import type { EventideFunction } from '../function.js';
import { settleEnded } from '../invoke.js';
import { publishFailure } from '../on-failure.js';
import { runListing } from '../run-index.js';
import { apply, changeOf, newRecord, runKey } from '../run-record.js';
import type { Delivery, KVStore, Rates, Slots, StoreWrite, StoredValue } from '../transport.js';
import { terminalStatuses, type RunRecord, type RunStateChange, type StoredEvent, type WaitingFor } from '../types.js';
import type { Clock } from '../clock.js';
import type { CompiledLimit, FlowControl, KeyOf } from './config.js';
import { IntakeGate, type IntakeDeps } from './intake-gate.js';

export interface GateDeps extends IntakeDeps {
  store: KVStore;
  slots: Slots;
  rates: Rates;
  clock: Clock;
  /** A slot's lease: renewed while the run executes, so a holder that dies gives it back after this long. */
  ackWaitMs: number;
  emit(change: RunStateChange): void;
}

/** Past the gate: the slot keys the run holds (release them when the attempt is over), and the record as read. */
export interface Passed {
  held: string[];
  stored: StoredValue | undefined;
}

/** What a key function gives for an event, as a string; `undefined` without one. Throws an error that names the function and option. */
function keyValue(keyFn: KeyOf | undefined, option: string, event: StoredEvent, fnId: string): string | undefined {
  if (!keyFn) return undefined;
  let key: unknown;
  try {
    key = keyFn(event);
  } catch (e) {
    throw new Error(`function "${fnId}": the key of ${option} threw: ${coerceError(e).message}`, { cause: e });
  }
  if (typeof key === 'number' && Number.isFinite(key)) key = String(key);
  if (typeof key !== 'string' || key.length === 0)
    throw new Error(`function "${fnId}": the key of ${option} must return a non-empty string or a number, got ${JSON.stringify(key)}`);
  return key;
}

/** The transport key of a limit's slots or schedule for one event. */
function keyOf(limit: CompiledLimit, event: StoredEvent, fnId: string): { slot: string; key: string | undefined } {
  const key = keyValue(limit.key, limit.option, event, fnId);
  return key === undefined ? { slot: limit.name, key } : { slot: `${limit.name}/${key}`, key };
}

function priorityOf(flow: FlowControl, event: StoredEvent, fnId: string): number {
  if (!flow.priority) return 0;
  let p: unknown;
  try {
    p = flow.priority(event);
  } catch (e) {
    throw new Error(`function "${fnId}": priority threw: ${coerceError(e).message}`, { cause: e });
  }
  if (typeof p !== 'number' || !Number.isFinite(p))
    throw new Error(`function "${fnId}": priority must return a finite number, got ${String(p)}`);
  return p;
}

/** Whether the run is still before its first start, where a throttle applies (retries and wakes are not new starts). */
function beforeFirstStart(record: RunRecord | undefined): boolean {
  return !record || record.status === 'pending' || (record.status === 'waiting' && record.waitingFor?.limit === 'throttle');
}

export class Gate {
  private readonly intake: IntakeGate | undefined;

  constructor(
    private readonly fn: EventideFunction,
    private readonly flow: FlowControl,
    private readonly deps: GateDeps,
  ) {
    this.intake = flow.intake && new IntakeGate(fn, flow.intake, deps, (key, option, event) => keyValue(key, option, event, fn.id));
  }

  /** Passes the run through, or settles its delivery (it waits, it ended, it is early): then `undefined`. */
  async pass(runId: string, env: Envelope, delivery: Delivery): Promise<Passed | undefined> {
    const { deps, fn, flow } = this;
    // A first delivery of a new event almost always meets no record (as in the executor's `claimFirst`): the read is
    // skipped, and the rare copy of an event whose run exists finds that out when its claim loses.
    const fresh = delivery.deliveryCount === 1 && !env.target && !this.intake;
    const stored = fresh ? undefined : await deps.store.get(runKey(runId));
    const record = stored ? decodeRecord(stored.value) : undefined;
    const now = deps.clock.now();
    if (record && terminalStatuses.has(record.status)) {
      // A wake for a run that ended meanwhile (a cancel) carries a slot given to it: hand that on.
      await this.releaseAll(runId, env.event);
      await settleEnded(record, delivery, deps);
      return undefined;
    }
    if (record && (env.target?.wake ?? '') !== (record.turn ?? '')) {
      // A wake for a turn the run has left (see invoke.ts): stale.
      await delivery.ack();
      return undefined;
    }
    if (record && (record.status === 'sleeping' || record.status === 'retrying') && (record.nextAttemptAt ?? 0) > now) {
      await delivery.retry((record.nextAttemptAt as number) - now);
      return undefined;
    }
    if (record?.status === 'running' && delivery.deliveryCount === 1) return { held: [], stored };
    let slots: { slot: string; key: string | undefined; limit: CompiledLimit }[];
    let priority: number;
    try {
      // An event's first arrival at this function (not a replay, a wake-up or a batch's run) passes the intake gates first.
      if (this.intake && !env.target && !record && (await this.intake.pass(runId, env, delivery)) === 'settled') return undefined;
      slots = flow.concurrency.map((limit) => ({ ...keyOf(limit, env.event, fn.id), limit }));
      priority = priorityOf(flow, env.event, fn.id);
      if (flow.throttle && beforeFirstStart(record)) {
        const booked = record?.waitingFor?.limit === 'throttle' ? record.waitingFor.until : undefined;
        if (booked !== undefined && booked > now) {
          await delivery.retry(booked - now);
          return undefined;
        }
        if (booked === undefined) {
          const t = flow.throttle;
          const { slot, key } = keyOf(t, env.event, fn.id);
          const delayMs = await deps.rates.reserve(slot, t.limit, t.periodMs, t.burst);
          if (delayMs > 0) {
            const waitingFor: WaitingFor = {
              limit: 'throttle',
              option: 'throttle',
              since: now,
              until: now + delayMs,
              ...(key ? { key } : {}),
            };
            await this.wait(runId, env, record, stored, waitingFor, (write) => delivery.retry(delayMs, write), delivery);
            return undefined;
          }
        }
      }
    } catch (e) {
      await this.fail(runId, env, record, stored, coerceError(e), delivery);
      return undefined;
    }
    const held: string[] = [];
    const wake: Envelope = { v: 1, event: env.event, target: { ...env.target, functionId: fn.id, runId } };
    for (const { slot, key, limit } of slots) {
      const granted = await deps.slots.acquire(slot, runId, limit.limit, deps.ackWaitMs, {
        subject: 'events',
        data: encodeEnvelope(wake),
        priority,
      });
      if (granted) {
        held.push(slot);
        continue;
      }
      // Never wait while holding: the other limit's slot goes back, and is asked for again on waking.
      for (const h of held) await deps.slots.release(h, runId);
      const waitingFor: WaitingFor = { limit: 'concurrency', option: limit.option, since: now, ...(key ? { key } : {}) };
      await this.wait(runId, env, record, stored, waitingFor, (write) => delivery.ack(write), delivery);
      return undefined;
    }
    return { held, stored };
  }

  /** Gives back every slot the run may hold or wait for (a cancel, a wake of an ended run). */
  async releaseAll(runId: string, event: StoredEvent): Promise<void> {
    for (const limit of this.flow.concurrency) {
      let slot: string;
      try {
        slot = keyOf(limit, event, this.fn.id).slot;
      } catch {
        continue; // a key that throws never took a slot
      }
      await this.deps.slots.release(slot, runId);
    }
  }

  private async wait(
    runId: string,
    env: Envelope,
    record: RunRecord | undefined,
    stored: StoredValue | undefined,
    waitingFor: WaitingFor,
    settle: (write: StoreWrite) => Promise<boolean>,
    delivery: Delivery,
  ): Promise<void> {
    const now = waitingFor.since;
    const r = record ?? newRecord(runId, this.fn.id, env, now);
    const from = r.status;
    if (from === 'waiting') {
      // Already waiting (woken, and a newcomer or the other limit was first): it keeps its first `since`.
      waitingFor = { ...waitingFor, since: r.waitingFor?.since ?? now, ...(r.waitingFor?.after ? { after: r.waitingFor.after } : {}) };
    } else {
      apply(r, 'WAIT');
      if (from === 'sleeping') waitingFor = { ...waitingFor, after: 'sleeping' };
    }
    r.waitingFor = waitingFor;
    r.nextAttemptAt = waitingFor.until;
    r.updatedAt = now;
    const ok = await settle({ key: runKey(runId), value: encodeRecord(r), revision: stored?.revision, listing: runListing(r) });
    if (ok) {
      if (from !== 'waiting') this.deps.emit(changeOf(r, from, now));
      return;
    }
    // Someone moved the run meanwhile (its wake came first, or a cancel): whoever did owns it now.
    if (waitingFor.limit === 'concurrency') await delivery.ack();
    else await delivery.retry(250);
  }

  /** A key or priority function threw: the run fails for good, with an error that names the function and the option. */
  private async fail(
    runId: string,
    env: Envelope,
    record: RunRecord | undefined,
    stored: StoredValue | undefined,
    error: Error,
    delivery: Delivery,
  ): Promise<void> {
    const now = this.deps.clock.now();
    const r = record ?? newRecord(runId, this.fn.id, env, now);
    const from = r.status;
    if (from !== 'running') {
      r.attempt++;
      apply(r, 'START');
    }
    apply(r, 'FAIL');
    r.error = serializeError(error);
    r.waitingFor = undefined;
    r.nextAttemptAt = undefined;
    r.endedAt = r.updatedAt = now;
    if (this.fn.config.onFailure) await publishFailure(r, this.deps.publish, now);
    const write = { key: runKey(runId), value: encodeRecord(r), revision: stored?.revision, listing: runListing(r) };
    // An invoked child comes back once more to tell its parent (see settleEnded).
    const ok = await (r.parentRunId ? delivery.retry(0, write) : delivery.ack(write));
    if (ok) this.deps.emit(changeOf(r, from, now));
    else await delivery.retry(250);
  }
}
