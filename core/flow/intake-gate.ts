/**
 * @module
 * The gates an event passes before it becomes a run of a function, on its
 * first arrival at that function (replays, wake-ups and batch runs skip
 * them): a rate limit and an idempotency key may skip it (its run is
 * recorded `skipped`, with the reason); a debounce keeps only the last
 * event of a quiet spell; a batch gathers events into one run.
 *
 * All of it is state in the transport's store, changed by compare-and-set,
 * and the event's own delivery is the timer: a debounced or first-in-batch
 * event is handed back to the transport until it is due, so nothing waits
 * in a process and a restart loses nothing.
 */
import type { Clock } from '../clock.js';
import { encodeEnvelope, type Envelope } from '../codec/envelope.js';
import { decode, encode } from '../codec/msgpack.js';
import { encodeRecord } from '../codec/record.js';
import type { EventideFunction } from '../function.js';
import { runIdFor } from '../ids.js';
import { runListing } from '../run-index.js';
import { apply, changeOf, newRecord, runKey } from '../run-record.js';
import type { Delivery, KVStore, Rates, StoreWrite, Transport } from '../transport.js';
import type { RunRecord, RunStateChange, StoredEvent } from '../types.js';
import type { KeyOf } from './key.js';
import type { IntakeControl } from './intake-config.js';

export interface IntakeDeps {
  store: KVStore;
  rates: Rates;
  clock: Clock;
  publish: Transport['publish'];
  emit(change: RunStateChange): void;
  finishedExpireMs(): number | undefined;
}

/** What became of the event: it goes on to run (`proceed`), or its delivery is settled here. */
export type IntakeOutcome = 'proceed' | 'settled';

interface DebounceState {
  /** The last event of the spell; absent once the spell ran. */
  event?: StoredEvent;
  firstAt?: number;
  dueAt?: number;
  /** The ts of the event the last spell ran with: a late copy of an older event starts no new spell. */
  ranTs?: number;
}

interface OpenBatch {
  /** The first event's id: it names the batch and its run. */
  id: string;
  events: StoredEvent[];
  firstAt: number;
}

interface ClosedBatch {
  id: string;
  ids: string[];
  /** Kept until the batch's run message is published. */
  events?: StoredEvent[];
}

interface BatchState {
  open?: OpenBatch;
  /** The newest closed batches, so a copy of an event delivered again finds where it went. */
  closed: ClosedBatch[];
  /** Ids of batches whose run is published, beyond `closed`: the first event's timer ends quietly when it comes back. */
  done: string[];
}

// Enough event ids that a copy redelivered after an ack wait still finds its batch under a brisk stream, few enough to stay a small value.
const keptClosedIds = 1_000;

/**
 * The closed batches worth remembering: every one not yet published (it
 * must be, by whichever of its deliveries comes next), and the newest
 * published ones, whose members a copy delivered again must still find.
 */
function kept(closed: ClosedBatch[]): ClosedBatch[] {
  let ids = 0;
  return closed.filter((c) => c.events !== undefined || (ids += c.ids.length) <= keptClosedIds);
}
const keptDone = 200;

/** Store keys are made of the user's key: base64url keeps any string within every store's key alphabet. */
const safe = (key: string) => Buffer.from(key).toString('base64url');

export class IntakeGate {
  constructor(
    private readonly fn: EventideFunction,
    private readonly intake: IntakeControl,
    private readonly deps: IntakeDeps,
    /** The key a key function gives for an event, checked (the run gate's, so errors read alike). */
    private readonly keyOf: (key: KeyOf | undefined, option: string, event: StoredEvent) => string | undefined,
  ) {}

  async pass(runId: string, env: Envelope, delivery: Delivery): Promise<IntakeOutcome> {
    const { intake, fn } = this;
    const event = env.event;
    if (intake.rateLimit) {
      const { limit, periodMs, key } = intake.rateLimit;
      const k = this.keyOf(key, 'rateLimit', event);
      if (!(await this.deps.rates.take(`${fn.id}/r/${k ?? ''}`, limit, periodMs, 0))) {
        const reason = `over the rate limit of ${limit} per ${periodMs} ms${k === undefined ? '' : ` for key "${k}"`}`;
        await this.skip(runId, env, { option: 'rateLimit', reason }, delivery);
        return 'settled';
      }
    }
    if (intake.idempotency) {
      const k = this.keyOf(intake.idempotency.key, 'idempotency', event) as string;
      const holder = await this.claim(`idem.${fn.id}.${safe(k)}`, runId, intake.idempotency.periodMs);
      if (holder !== runId) {
        await this.skip(
          runId,
          env,
          { option: 'idempotency', reason: `idempotency key "${k}" is held by run ${holder}`, heldBy: holder },
          delivery,
        );
        return 'settled';
      }
    }
    if (intake.debounce) return this.debounce(event, delivery);
    if (intake.batch) return this.batch(event, delivery);
    return 'proceed';
  }

  /** The run that holds `key` for its period: `runId` when it is (or now becomes) this one. */
  private async claim(key: string, runId: string, periodMs: number): Promise<string> {
    const { store, clock } = this.deps;
    for (;;) {
      const now = clock.now();
      const value = encode({ runId, until: now + periodMs });
      if ((await store.create(key, value, { expireMs: periodMs })) !== undefined) return runId;
      const held = await store.get(key);
      if (!held) continue;
      const h = decode(held.value) as { runId: string; until: number };
      if (h.runId === runId || h.until > now) return h.runId;
      if ((await store.update(key, value, held.revision, { expireMs: periodMs })) !== undefined) return runId;
    }
  }

  private async skip(runId: string, env: Envelope, skipped: NonNullable<RunRecord['skipped']>, delivery: Delivery): Promise<void> {
    const now = this.deps.clock.now();
    const record = newRecord(runId, this.fn.id, env, now);
    apply(record, 'SKIP');
    record.skipped = skipped;
    record.endedAt = now;
    const expireMs = this.deps.finishedExpireMs();
    const ok = await delivery.ack({
      key: runKey(runId),
      value: encodeRecord(record),
      listing: runListing(record),
      ...(expireMs !== undefined ? { expireMs } : {}),
    });
    if (ok) this.deps.emit(changeOf(record, 'pending', now));
    else await delivery.ack(); // a record exists already: this is a copy of an event that was decided before
  }

  /**
   * Debounce: the event becomes the spell's last and its delivery comes
   * back when the spell would be due; the delivery that comes back to find
   * itself still the last one runs, the others end.
   */
  private async debounce(event: StoredEvent, delivery: Delivery): Promise<IntakeOutcome> {
    const { periodMs, timeoutMs, key } = this.intake.debounce as NonNullable<IntakeControl['debounce']>;
    const k = this.keyOf(key, 'debounce', event);
    const stateKey = `debounce.${this.fn.id}.${safe(k ?? '')}`;
    const { store, clock } = this.deps;
    for (;;) {
      const now = clock.now();
      const held = await store.get(stateKey);
      const state = held ? (decode(held.value) as DebounceState) : {};
      if (state.event?.id === event.id) {
        const dueAt = state.dueAt as number;
        if (now < dueAt) {
          await delivery.retry(dueAt - now);
          return 'settled';
        }
        // Due and still the last: the spell runs with this event; the next event starts a new one.
        const ran = encode({ ranTs: event.ts } satisfies DebounceState);
        if ((await store.update(stateKey, ran, (held as { revision: number }).revision)) === undefined) continue;
        return 'proceed';
      }
      const newest = state.event?.ts ?? state.ranTs ?? -Infinity;
      if (delivery.deliveryCount > 1 && event.ts <= newest) {
        // Handed back to find a later event in its place (or its spell already run): nothing more to do.
        await delivery.ack();
        return 'settled';
      }
      const firstAt = state.event ? (state.firstAt as number) : now;
      const dueAt = Math.min(now + periodMs, timeoutMs === undefined ? Infinity : firstAt + timeoutMs);
      const value = encode({ event, firstAt, dueAt } satisfies DebounceState);
      const write: StoreWrite = { key: stateKey, value, ...(held ? { revision: held.revision } : {}) };
      if (await delivery.retry(Math.max(0, dueAt - now), write)) return 'settled';
    }
  }

  /**
   * Batches: each event joins its key's open batch (its delivery acked with
   * the write); the first event's delivery comes back at the timeout to
   * close the batch, and a full batch closes at once. A closed batch is
   * published as one run message (its id derived from the first event), then
   * marked done; a batch closed but not yet published is published by
   * whichever of its deliveries comes next, the first event's at the latest.
   */
  private async batch(event: StoredEvent, delivery: Delivery): Promise<IntakeOutcome> {
    const { maxSize, timeoutMs, key } = this.intake.batch as NonNullable<IntakeControl['batch']>;
    const k = this.keyOf(key, 'batchEvents', event);
    const stateKey = `batch.${this.fn.id}.${safe(k ?? '')}`;
    const { store, clock } = this.deps;
    for (;;) {
      const now = clock.now();
      const held = await store.get(stateKey);
      const state: BatchState = held ? (decode(held.value) as BatchState) : { closed: [], done: [] };
      const revision = held ? { revision: held.revision } : {};
      const writeOf = (s: BatchState): StoreWrite => ({ key: stateKey, value: encode(s), ...revision });

      const closed = state.closed.find((c) => c.ids.includes(event.id));
      if (closed || state.done.includes(event.id)) {
        if (closed?.events && !(await this.publishBatch(stateKey, closed))) continue;
        await delivery.ack();
        return 'settled';
      }
      const open = state.open;
      if (open?.events.some((e) => e.id === event.id)) {
        if (open.id !== event.id) {
          await delivery.ack(); // a copy of an event that joined already
          return 'settled';
        }
        const dueAt = open.firstAt + timeoutMs;
        if (now < dueAt) {
          await delivery.retry(dueAt - now);
          return 'settled';
        }
        // The first event's timer: the batch closes with what it has.
        const shut = this.close(state, open);
        if ((await store.update(stateKey, encode(state), held?.revision as number)) === undefined) continue;
        await this.publishBatch(stateKey, shut);
        await delivery.ack();
        return 'settled';
      }
      // A new event joins the open batch, or opens one.
      const joined: OpenBatch = open ? { ...open, events: [...open.events, event] } : { id: event.id, events: [event], firstAt: now };
      state.open = joined;
      const shut = joined.events.length >= maxSize ? this.close(state, joined) : undefined;
      // The first event's delivery is the batch's timer, whatever else happens to the batch.
      const first = joined.id === event.id;
      const settled = first ? await delivery.retry(timeoutMs, writeOf(state)) : await delivery.ack(writeOf(state));
      if (!settled) continue;
      if (shut) await this.publishBatch(stateKey, shut);
      return 'settled';
    }
  }

  private close(state: BatchState, open: OpenBatch): ClosedBatch {
    const shut: ClosedBatch = { id: open.id, ids: open.events.map((e) => e.id), events: open.events };
    state.open = undefined;
    state.closed = kept([shut, ...state.closed]);
    return shut;
  }

  /** Publishes a closed batch's run, then marks it published; false when the mark lost a race (look again). */
  private async publishBatch(stateKey: string, batch: ClosedBatch): Promise<boolean> {
    const events = batch.events as StoredEvent[];
    const runId = runIdFor(this.fn.id, `batch:${batch.id}`);
    const env: Envelope = { v: 1, event: events[0], events, target: { functionId: this.fn.id, runId } };
    // The run id is the message id and the run record's key: a batch published twice still runs once.
    await this.deps.publish('events', encodeEnvelope(env), { msgId: runId, topic: events[0].name });
    const held = await this.deps.store.get(stateKey);
    if (!held) return true;
    const state = decode(held.value) as BatchState;
    const entry = state.closed.find((c) => c.id === batch.id);
    if (!entry?.events) return true;
    entry.events = undefined;
    state.closed = kept(state.closed);
    state.done = [batch.id, ...state.done.filter((d) => d !== batch.id)].slice(0, keptDone);
    return (await this.deps.store.update(stateKey, encode(state), held.revision)) !== undefined;
  }
}
