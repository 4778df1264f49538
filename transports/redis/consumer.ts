/**
 * One member of a consumer group: reads the subject stream and the group's
 * retry stream with one blocking XREADGROUP on its own connection (see
 * GroupReader), runs at most `concurrency` handlers, and keeps two unref'd
 * timers:
 *
 * - the mover (see DueMover), which brings delayed publishes and retries
 *   into the streams when they are due;
 * - the reclaimer (see Reclaimer), every ackWaitMs/4, which takes over
 *   deliveries whose lease ran out (XAUTOCLAIM) — a dead worker's, or a
 *   stuck handler's.
 *
 *   subject stream ──XREADGROUP──► handler ──ack──────► XACK (stays as history)
 *   retry stream ───┘   ▲              ├──retry(d)────► retry set ──mover──► retry stream
 *        ▲              │              ├──deadLetter──► dead-letter stream
 *        └── hand-back / retry(0)      └──(no settle)─► pending list ──reclaim after ackWaitMs──┘
 *
 * What it says to Redis to settle a delivery is in Settlements; here is
 * which deliveries hold slots, and when each may settle.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { settledWithin } from '../../core/lib/bounded.js';
import type { Consumer, ConsumeOptions, DeliveryHandler, StoreWrite } from '../../core/transport.js';
import { TransportError } from '../../core/transport.js';
import { transportError } from './connection.js';
import { deliveryOf, type DeliveryOwner, type RedisDelivery } from './delivery.js';
import { DueMover } from './due-mover.js';
import { GroupReader } from './group-reader.js';
import type { GroupKeys, Keys, SubjectKeys } from './keys.js';
import { Reclaimer } from './reclaimer.js';
import { Reclaimed, Source, WRITE_LOST } from './scripts/codes.js';
import type { ScriptedRedis } from './scripts/index.js';
import type { ReclaimedEntry } from './scripts/reclaim.js';
import { Settlements, type CommitMode } from './settlements.js';
import type { StreamReply } from './streams.js';

export interface ConsumerSettings {
  commandTimeoutMs: number;
  maxDeadLetters: number;
  /** Longest XREADGROUP BLOCK; a stop does not wait for it (CLIENT UNBLOCK). */
  blockMs: number;
  moverMaxWaitMs: number;
  /** An empty consumer name idle this long belongs to a process that is gone. */
  staleConsumerMs: number;
  onError: (err: Error) => void;
}

const noop = () => {};

export class RedisConsumer implements Consumer, DeliveryOwner {
  readonly name = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly subjectKeys: SubjectKeys;
  private readonly groupKeys: GroupKeys;
  private readonly concurrency: number;
  private readonly ackWaitMs: number;
  private readonly settlements: Settlements;
  private readonly reader: GroupReader;
  private readonly mover: DueMover;
  private readonly reclaimer: Reclaimer;

  /** Slots taken: deliveries whose handler runs and that are not settled. */
  private active = 0;
  /** Handlers whose promise has not settled. */
  private running = 0;
  /** Read or reclaimed while every slot was taken; run as slots free. */
  private readonly backlog: RedisDelivery[] = [];
  private readonly unsettled = new Set<RedisDelivery>();
  private pumping = false;
  private slotFreed: (() => void) | undefined;
  private idle: (() => void) | undefined;

  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly cmd: ScriptedRedis,
    keys: Keys,
    readonly subject: string,
    readonly group: string,
    private readonly handler: DeliveryHandler,
    options: ConsumeOptions,
    private readonly settings: ConsumerSettings,
    private readonly onStopped: (c: RedisConsumer) => void,
  ) {
    this.subjectKeys = keys.subject(subject);
    this.groupKeys = keys.group(subject, group);
    this.concurrency = Math.max(1, Math.floor(options.concurrency) || 1);
    this.ackWaitMs = Math.max(1, options.ackWaitMs);
    const { subjectKeys, groupKeys } = this;
    const ensureGroups = () => this.ensureGroups();
    const report = (err: unknown, what: string) => this.report(err, what);
    this.settlements = new Settlements(cmd, keys, subjectKeys, groupKeys, group, this.name, settings);
    this.reader = new GroupReader(cmd, subjectKeys, groupKeys, group, this.name, settings.blockMs, {
      // At most half the slots per read: reading them all made the deliveries move in one lock-step batch
      // (read, claim script, commit script, read again) with the worker and Redis each idle while the other
      // worked; two half batches at different stages keep both busy (+9-18% runs/s, interleaved).
      wanted: () => Math.min(this.free(), Math.ceil(this.concurrency / 2)),
      slotFreed: () => new Promise<void>((resolve) => (this.slotFreed = resolve)),
      accept: (reply) => this.accept(reply),
      ensureGroups,
      report,
    });
    this.mover = new DueMover(cmd, subjectKeys, groupKeys, settings.moverMaxWaitMs, report);
    this.reclaimer = new Reclaimer(cmd, subjectKeys, groupKeys, group, this.name, this.ackWaitMs, {
      free: () => this.free(),
      accept: (entries) => this.acceptReclaimed(entries),
      ensureGroups,
      report,
    });
  }

  async start(): Promise<void> {
    const what = `consume(${JSON.stringify(this.subject)}, ${JSON.stringify(this.group)})`;
    const t = this.settings.commandTimeoutMs;
    await this.ensureGroups().catch((err) => {
      throw transportError(err, what, t);
    });
    // Names of workers that died long ago, now holding nothing, would otherwise pile up in XINFO.
    void this.retire('').catch(noop);
    await this.reader.start().catch((err) => {
      throw transportError(err, what, t);
    });
    this.reclaimer.start();
    void this.mover.move();
  }

  private ensureGroups(): Promise<number> {
    return this.cmd.eventideEnsureGroups(this.subjectKeys.stream, this.groupKeys.retryStream, this.group);
  }

  /** Removes consumer names that hold nothing: `name`, and any idle past staleConsumerMs. */
  private retire(name: string): Promise<number> {
    const { stream } = this.subjectKeys;
    return this.cmd.eventideRetireConsumers(stream, this.groupKeys.retryStream, this.group, name, this.settings.staleConsumerMs);
  }

  // ── slots ──────────────────────────────────────────────────────────────

  /** Slots neither running a handler nor promised to a delivery waiting in the backlog. */
  private free(): number {
    return this.concurrency - this.active - this.backlog.length;
  }

  private accept(reply: NonNullable<StreamReply>): void {
    const { retryStream } = this.groupKeys;
    for (const [key, entries] of reply) {
      const source = key.length === retryStream.length && key.toString() === retryStream ? Source.retryStream : Source.subjectStream;
      for (const [id, fields] of entries) {
        const d = deliveryOf(this, this.subject, source, id.toString(), fields, 1);
        if (d) this.take(d);
      }
    }
    this.pump();
  }

  private acceptReclaimed(entries: ReclaimedEntry[]): void {
    for (const [s, id, fields, times] of entries) {
      const source = s === Reclaimed.retryStream ? Source.retryStream : Source.subjectStream;
      const d = deliveryOf(this, this.subject, source, id.toString(), fields, Number(times));
      if (d) this.take(d);
    }
    this.pump();
  }

  private take(d: RedisDelivery): void {
    this.unsettled.add(d);
    this.backlog.push(d);
  }

  /** Runs backlog entries while slots are free; a guard keeps synchronous handlers from recursing. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.stopping && this.backlog.length > 0 && this.active < this.concurrency) this.run(this.backlog.shift() as RedisDelivery);
    } finally {
      this.pumping = false;
    }
  }

  private run(d: RedisDelivery): void {
    if (d.settled) return;
    this.active++;
    this.running++;
    d.holdsSlot = true;
    let result: unknown;
    try {
      result = this.handler(d);
    } catch {
      result = undefined;
    }
    // A handler that returns or throws without settling frees its slot; its delivery comes back after the ack wait, as on any broker.
    if (result && typeof (result as Promise<void>).then === 'function')
      (result as Promise<void>).then(
        () => this.finished(d),
        () => this.finished(d),
      );
    else this.finished(d);
  }

  private finished(d: RedisDelivery): void {
    this.running--;
    this.release(d);
    if (this.running === 0 && this.idle) this.idle();
  }

  private release(d: RedisDelivery): void {
    if (!d.holdsSlot) return;
    d.holdsSlot = false;
    this.active--;
    if (this.backlog.length > 0) this.pump();
    if (this.slotFreed) {
      const wake = this.slotFreed;
      this.slotFreed = undefined;
      wake();
    }
  }

  /** False when the delivery was already settled (twice acked, or handed back at stop). */
  private settle(d: RedisDelivery): boolean {
    if (d.settled) return false;
    d.settled = true;
    this.unsettled.delete(d);
    this.release(d);
    return true;
  }

  // ── settling ───────────────────────────────────────────────────────────

  ack(d: RedisDelivery, write?: StoreWrite): Promise<boolean> {
    if (write) return this.commit(d, write, 'ack', 0);
    if (!this.settle(d)) return Promise.resolve(true);
    return this.settlements.ack(d);
  }

  async retry(d: RedisDelivery, delayMs: number, write?: StoreWrite): Promise<boolean> {
    const delay = Math.max(0, Math.ceil(Number(delayMs) || 0));
    if (write) return this.commit(d, write, 'retry', delay);
    if (!this.settle(d)) return true;
    await this.settlements.retry(d, delay);
    if (delay > 0) this.mover.wakeIn(delay);
    return true;
  }

  /** The store write and the settlement in one script; a lost compare-and-set settles nothing. */
  private async commit(d: RedisDelivery, write: StoreWrite, mode: CommitMode, delay: number): Promise<boolean> {
    const rev = await this.settlements.commit(d, write, mode, delay);
    if (rev === WRITE_LOST) return false;
    this.settle(d);
    if (mode === 'retry' && delay > 0) this.mover.wakeIn(delay);
    return true;
  }

  async deadLetter(d: RedisDelivery, reason: string): Promise<void> {
    if (!this.settle(d)) return;
    await this.settlements.deadLetter(d, reason);
  }

  async working(d: RedisDelivery): Promise<void> {
    if (d.settled) return;
    await this.settlements.extendLease(d);
  }

  /** Something becomes due in `delayMs` (a delayed publish, seen here or announced by another process). */
  wakeIn(delayMs: number): void {
    this.mover.wakeIn(delayMs);
  }

  // ── stopping ───────────────────────────────────────────────────────────

  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    return (this.stopped ??= this.shutdown(options.timeoutMs ?? 30_000));
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.mover.stop();
    this.reclaimer.stop();
    this.slotFreed?.();
    // 1. Stop reading: unblock the pending XREADGROUP; disconnect if Redis does not answer.
    await this.reader.stop();
    // 2. Give handlers in flight their time.
    if (this.running > 0) {
      const idle = new Promise<void>((resolve) => (this.idle = resolve));
      await settledWithin(idle, timeoutMs);
    }
    // 3. Hand back whatever is unsettled, due now, so another member takes it at once.
    //    A delivery whose handler never started comes back with the same count.
    const started = new Set(this.unsettled);
    for (const d of this.backlog) started.delete(d);
    const rest = [...this.unsettled];
    this.backlog.length = 0;
    for (const d of rest) this.settle(d);
    await Promise.all(
      rest.map((d) =>
        this.settlements
          .handBack(d, started.has(d) ? d.deliveryCount + 1 : d.deliveryCount)
          .catch((err) => this.report(err, 'hand back (it comes back after its ack wait instead)')),
      ),
    );
    await this.retire(this.name).catch(noop);
    await this.reader.close();
    this.onStopped(this);
  }

  private report(err: unknown, what: string): void {
    const e =
      err instanceof TransportError
        ? err
        : transportError(err, `${what} on ${JSON.stringify(this.subject)}/${JSON.stringify(this.group)}`, this.settings.commandTimeoutMs);
    try {
      this.settings.onError(e);
    } catch {
      // The reporter's failure must not stop the consumer.
    }
  }
}
