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
import { retryDelay } from './backoff.js';
import type { Clock, TimerHandle } from './clock.js';
import { decodeEnvelope, type Envelope, eventBytesOf } from './codec/envelope.js';
import { decodeRecord } from './codec/record.js';
import { unserialisableReason } from './codec/values.js';
import { NonRetriableError, StepFailedError, TimeoutError, coerceError, serializeError } from './errors.js';
import type { EventideFunction } from './function.js';
import { runIdFor } from './ids.js';
import type { Logger } from './logger.js';
import { createRunLogger, type RunLogger } from './run-logger.js';
import { move, persistedSnapshot, type RunMachineEventType } from './run-machine.js';
import { RunWriter } from './run-writer.js';
import { Interrupt, createStepTools, type StepHost } from './step.js';
import type { Delivery, KVStore } from './transport.js';
import { terminalStatuses, type EventPayload, type RunRecord, type RunStateChange, type RunStatus } from './types.js';

export interface ExecutorDeps {
  store: KVStore;
  clock: Clock;
  logger: Logger;
  maxLogsPerRun: number;
  ackWaitMs: number;
  emit(change: RunStateChange): void;
  send(events: EventPayload[]): Promise<{ ids: string[] }>;
  /** Attempts executing in this process, by run id, so cancel and stop can reach them. */
  active: Map<string, Attempt>;
  /** Given with a finished run's last write when the store deletes it by age itself. */
  finishedExpireMs(): number | undefined;
}

export const runKey = (runId: string) => `run.${runId}`;

export function newRecord(runId: string, functionId: string, env: Envelope, now: number): RunRecord {
  return {
    id: runId,
    functionId,
    eventId: env.event.id,
    event: env.event,
    status: 'pending',
    attempt: 0,
    steps: {},
    logs: [],
    logsDropped: 0,
    createdAt: now,
    updatedAt: now,
    ...(env.target?.replayOf ? { replayOf: env.target.replayOf } : {}),
    machine: persistedSnapshot('pending'),
  };
}

export function changeOf(record: RunRecord, from: RunStatus, at: number): RunStateChange {
  return {
    runId: record.id,
    functionId: record.functionId,
    eventId: record.eventId,
    from,
    to: record.status,
    attempt: record.attempt,
    at,
    ...(record.error && (record.status === 'failed' || record.status === 'retrying') ? { error: record.error } : {}),
  };
}

/** Applies a machine event to the record; false when the machine forbids it. */
export function apply(record: RunRecord, event: RunMachineEventType): boolean {
  const m = move(record.status, event);
  if (!m) return false;
  record.status = m.to;
  record.machine = m.snapshot;
  return true;
}

export async function handleDelivery(fn: EventideFunction, delivery: Delivery, deps: ExecutorDeps): Promise<void> {
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
  try {
    // A first delivery almost always meets no record: skip the read (see `claimFirst`).
    if (delivery.deliveryCount === 1 && (await claimFirst(fn, runId, env, delivery, deps).execute()) !== 'claim-lost') return;
    for (let tries = 0; tries < 3; tries++) {
      const started = await resume(fn, runId, env, delivery, deps);
      if (started === 'settled') return;
      if (started && (await started.execute()) !== 'claim-lost') return;
    }
    // Three lost races in a row: someone else is moving this run; look again shortly.
    await delivery.retry(250);
  } catch (e) {
    deps.logger.error('run could not be stored; the delivery will come back', { runId, functionId: fn.id, error: coerceError(e).message });
    await delivery.retry(1_000).catch(() => undefined);
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
  return new Attempt(fn, created, writer, delivery, deps, claim);
}

/** Loads the record (or creates it) and moves it to running. `undefined`: lost a race, try again. */
async function resume(
  fn: EventideFunction,
  runId: string,
  env: Envelope,
  delivery: Delivery,
  deps: ExecutorDeps,
): Promise<Attempt | 'settled' | undefined> {
  const key = runKey(runId);
  const stored = await deps.store.get(key);
  if (!stored) return claimFirst(fn, runId, env, delivery, deps);
  const now = deps.clock.now();
  const record = decodeRecord(stored.value);
  if (terminalStatuses.has(record.status)) {
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
    return 'settled';
  }
  if (from === 'running')
    record.attempt++; // the worker of the previous attempt died mid-run
  else {
    if (from !== 'sleeping') record.attempt++;
    apply(record, 'START');
  }
  record.nextAttemptAt = undefined;
  record.updatedAt = now;
  const writer = new RunWriter(deps.store, key, stored.revision);
  if (!(await writer.write(record))) return undefined;
  if (from !== 'running') deps.emit(changeOf(record, from, now));
  return new Attempt(fn, record, writer, delivery, deps);
}

const held: Promise<boolean> = Promise.resolve(true);

type Outcome = { ok: true; output: unknown } | { ok: false; error: Error } | Interrupt;

export class Attempt implements StepHost {
  readonly retries: number;
  readonly delayFor: EventideFunction['delayFor'];
  ended = false;
  replaying: boolean;
  finished = false;
  private interrupted: Interrupt | undefined;
  private dirty = false;
  private replayed = 0;
  private readonly reachedBefore: number;
  // Made on first use: most handlers never look at their signal, and one per run showed in profiles.
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private stopNow: ((i: Interrupt) => void) | undefined;
  private cancelled = false;
  private abandoned = false;
  private claim: Promise<boolean> | undefined;

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
  }

  now(): number {
    return this.deps.clock.now();
  }

  interrupt(i: Interrupt): Interrupt {
    this.interrupted ??= i;
    return this.interrupted;
  }

  beginNewStep(): void {
    this.replaying = false;
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
    if (!(await this.claimNow())) throw this.interrupt(new Interrupt('stopped', this.now()));
  }

  replayedStep(): void {
    if (++this.replayed >= this.reachedBefore) this.replaying = false;
  }

  markDirty(): void {
    this.dirty = true;
  }

  send(events: EventPayload[]): Promise<{ ids: string[] }> {
    return this.deps.send(events);
  }

  /** The run was cancelled elsewhere: end the attempt now and leave the record as the cancel wrote it. */
  cancel(): void {
    this.cancelled = true;
    this.end(new Interrupt('stopped', this.now()), 'run cancelled');
  }

  /** The runtime stops and cannot wait: end the attempt without writing or settling; the transport hands the delivery back. */
  abandon(): void {
    this.abandoned = true;
    this.end(new Interrupt('stopped', this.now()), 'runtime stopping');
  }

  private end(i: Interrupt, reason: string): void {
    this.interrupt(i);
    this.abort(new Error(reason));
    this.stopNow?.(i);
  }

  /** Sign of life for the delivery, so a long attempt keeps it past the ack wait (the runtime calls this for every attempt in flight). */
  heartbeat(): void {
    if (!this.ended) void this.delivery.working().catch(() => undefined);
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
    const { record, deps, fn } = this;
    deps.active.set(record.id, this);
    const clock = deps.clock;
    const timers: TimerHandle[] = [];
    const stop = new Promise<Interrupt>((resolve) => (this.stopNow = resolve));
    if (fn.timeoutMs !== undefined) {
      timers[1] = clock.setTimeout(() => {
        const error = new TimeoutError(`attempt ${record.attempt} of "${fn.id}" ran past its timeout of ${fn.timeoutMs} ms`);
        this.abort(error);
        this.stopNow?.(new Interrupt('retry', Number.NaN, error));
      }, fn.timeoutMs);
    }
    let outcome: Outcome;
    const self = this;
    try {
      let logger: RunLogger | undefined;
      const ctx = {
        event: record.event,
        step: createStepTools(this),
        runId: record.id,
        attempt: record.attempt,
        // Made on first use, like the signal: many handlers never log.
        get logger() {
          return (logger ??= createRunLogger(self, deps.logger, deps.maxLogsPerRun));
        },
        get signal() {
          return self.signal;
        },
      };
      let running: Promise<unknown>;
      try {
        running = Promise.resolve(fn.handler(ctx));
      } catch (thrown) {
        running = Promise.reject(thrown);
      }
      // The handler has started (up to its first await) before the claim goes out.
      this.claimNow().catch(() => undefined);
      const result = await Promise.race([running, stop]);
      outcome = result instanceof Interrupt ? result : { ok: true, output: result };
    } catch (thrown) {
      outcome = thrown instanceof Interrupt ? thrown : { ok: false, error: coerceError(thrown) };
    } finally {
      this.ended = true;
      for (const t of timers) if (t) clock.clearTimeout(t);
    }
    // A step's interrupt stands even if the handler caught it.
    if (this.interrupted) outcome = this.interrupted;
    try {
      if (this.abandoned) return;
      if (!(await this.claimNow())) return 'claim-lost';
      if (this.cancelled) {
        await this.writer.flush().catch(() => undefined);
        await this.delivery.ack();
        return;
      }
      await this.finish(outcome);
    } finally {
      this.finished = true;
      deps.active.delete(record.id);
    }
  }

  private async finish(outcome: Outcome): Promise<void> {
    const { record, deps } = this;
    const now = this.now();
    const from = record.status;
    if (outcome instanceof Interrupt) {
      if (outcome.kind === 'sleep') {
        apply(record, 'SLEEP');
        record.nextAttemptAt = outcome.at;
      } else if (outcome.kind === 'retry') {
        this.failAttempt(outcome.error ?? new Error('step failed'), Number.isNaN(outcome.at) ? undefined : outcome.at, now);
      } else return; // 'stopped' without cancel or abandon cannot happen
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
    const delay = Math.max(0, (record.nextAttemptAt ?? now) - now);
    const expireMs = done ? deps.finishedExpireMs() : undefined;
    const settled = await this.writer.settleWith(
      record,
      (write) => (done ? this.delivery.ack(write) : this.delivery.retry(delay, write)),
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

  /** Records a failed attempt: retrying with a delay while retries remain, failed otherwise. */
  private failAttempt(error: Error, at: number | undefined, now: number): void {
    const { record, fn } = this;
    record.error = serializeError(error);
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
