/**
 * One member of a consumer group: reads the subject stream and the group's
 * retry stream with one blocking XREADGROUP on its own connection, runs at
 * most `concurrency` handlers, and keeps two unref'd timers:
 *
 * - the mover, which sleeps until the next due entry (delayed publish or
 *   retry) rather than polling, woken early by this process's own schedules
 *   and by wake messages from other producers, and at most `moverMaxWaitMs`
 *   apart as a safety net;
 * - the reclaimer, every ackWaitMs/4, which takes over deliveries whose lease
 *   ran out (XAUTOCLAIM) — a dead worker's, or a stuck handler's.
 *
 *   subject stream ──XREADGROUP──► handler ──ack──────► XACK (stays as history)
 *   retry stream ───┘   ▲              ├──retry(d)────► retry set ──mover──► retry stream
 *        ▲              │              ├──deadLetter──► dead-letter stream
 *        └── hand-back / retry(0)      └──(no settle)─► pending list ──reclaim after ackWaitMs──┘
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { settledWithin } from '../../core/lib/bounded.js';
import type { Consumer, ConsumeOptions, DeliveryHandler, StoreWrite } from '../../core/transport.js';
import { TransportError } from '../../core/transport.js';
import { closeConnection, isCluster, openSideConnection, transportError } from './connection.js';
import { RedisDelivery, type DeliveryOwner } from './delivery.js';
import type { Keys, SubjectKeys } from './keys.js';
import { MoveDue, Reclaimed, Source, WRITE_LOST } from './scripts/codes.js';
import type { ScriptedRedis } from './scripts/index.js';
import { packItems } from './scripts/items.js';
import { asBuffer, expireOf } from './store.js';
import { nextBackoff, type StreamReply } from './streams.js';
import { TickBatch } from './tick-batch.js';

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

const MOVE_BATCH = 200;
const noop = () => {};
const yes = () => true;
/** CLIENT SETNAME refuses spaces and newlines. */
const segmentName = (s: string) => s.replace(/[^\x21-\x7e]/g, '_');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Commit {
  d: RedisDelivery;
  write: StoreWrite;
  mode: 'ack' | 'retry';
  delay: number;
}

export class RedisConsumer implements Consumer, DeliveryOwner {
  readonly name = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly subjectKeys: SubjectKeys;
  private readonly retryStream: string;
  private readonly retryDue: string;
  private readonly concurrency: number;
  private readonly ackWaitMs: number;

  /** Slots taken: deliveries whose handler runs and that are not settled. */
  private active = 0;
  /** Handlers whose promise has not settled. */
  private running = 0;
  /** Read or reclaimed while every slot was taken; run as slots free. */
  private readonly backlog: RedisDelivery[] = [];
  private readonly unsettled = new Set<RedisDelivery>();
  private pumping = false;

  private reader: ScriptedRedis | undefined;
  private readerId: number | undefined;
  private readerIdStale = true;
  private loop: Promise<void> | undefined;
  private slotFreed: (() => void) | undefined;
  private idle: (() => void) | undefined;

  private moverTimer: ReturnType<typeof setTimeout> | undefined;
  private moverAt = Infinity;
  private moving = false;
  private moveAgain = false;
  private reclaimTimer: ReturnType<typeof setInterval> | undefined;
  private reclaiming = false;
  private cursors: [string, string] = ['0-0', '0-0'];

  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly cmd: ScriptedRedis,
    private readonly keys: Keys,
    readonly subject: string,
    readonly group: string,
    private readonly handler: DeliveryHandler,
    options: ConsumeOptions,
    private readonly settings: ConsumerSettings,
    private readonly onStopped: (c: RedisConsumer) => void,
  ) {
    this.subjectKeys = keys.subject(subject);
    const g = keys.group(subject, group);
    this.retryStream = g.retryStream;
    this.retryDue = g.retryDue;
    this.concurrency = Math.max(1, Math.floor(options.concurrency) || 1);
    this.ackWaitMs = Math.max(1, options.ackWaitMs);
  }

  async start(): Promise<void> {
    const { stream } = this.subjectKeys;
    const t = this.settings.commandTimeoutMs;
    await this.ensureGroups().catch((err) => {
      throw transportError(err, `consume(${JSON.stringify(this.subject)}, ${JSON.stringify(this.group)})`, t);
    });
    // Names of workers that died long ago, now holding nothing, would otherwise pile up in XINFO.
    void this.cmd.eventideRetireConsumers(stream, this.retryStream, this.group, '', this.settings.staleConsumerMs).catch(noop);
    const reader = openSideConnection(this.cmd, `eventide:${segmentName(this.group)}`, this.settings.blockMs);
    // Client ids restart with the server: forget ours on every (re)connect so a stop never unblocks someone else's connection.
    reader.on('ready', () => {
      this.readerIdStale = true;
      this.readerId = undefined;
    });
    try {
      await reader.connect();
    } catch (err) {
      reader.disconnect();
      throw transportError(err, `consume(${JSON.stringify(this.subject)}, ${JSON.stringify(this.group)})`, t);
    }
    this.reader = reader;
    this.loop = this.readLoop();
    const every = Math.max(20, Math.floor(this.ackWaitMs / 4));
    this.reclaimTimer = setInterval(() => void this.reclaim(), every);
    this.reclaimTimer.unref();
    void this.move();
  }

  private ensureGroups(): Promise<number> {
    return this.cmd.eventideEnsureGroups(this.subjectKeys.stream, this.retryStream, this.group);
  }

  // ── reading ────────────────────────────────────────────────────────────

  private async readLoop(): Promise<void> {
    const reader = this.reader as ScriptedRedis;
    const { stream } = this.subjectKeys;
    let backoff = 0;
    while (!this.stopping) {
      // At most half the slots per read: reading them all made the deliveries move in one lock-step batch
      // (read, claim script, commit script, read again) with the worker and Redis each idle while the other
      // worked; two half batches at different stages keep both busy (+9-18% runs/s, interleaved).
      const want = Math.min(this.concurrency - this.active - this.backlog.length, Math.ceil(this.concurrency / 2));
      if (want <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      let reply: StreamReply;
      try {
        // On a cluster CLIENT ID would go to any node, not the one this read blocks on: a stop disconnects instead.
        if (this.readerIdStale && !isCluster(reader)) {
          this.readerIdStale = false;
          this.readerId = await reader.client('ID');
        }
        reply = (await reader.callBuffer(
          'XREADGROUP',
          'GROUP',
          this.group,
          this.name,
          'COUNT',
          want,
          'BLOCK',
          this.settings.blockMs,
          'STREAMS',
          stream,
          this.retryStream,
          '>',
          '>',
        )) as StreamReply;
        backoff = 0;
      } catch (err) {
        if (this.stopping) break;
        const message = (err as Error).message ?? '';
        // The streams or the group vanished (namespace destroyed, Redis restarted without persistence): recreate and go on.
        if (message.includes('NOGROUP')) await this.ensureGroups().catch(noop);
        else {
          this.readerIdStale = true;
          this.report(err, 'read');
          await sleep((backoff = nextBackoff(backoff)));
        }
        continue;
      }
      if (reply) this.accept(reply);
    }
  }

  private accept(reply: NonNullable<StreamReply>): void {
    for (const [key, entries] of reply) {
      const source =
        key.length === this.retryStream.length && key.toString() === this.retryStream ? Source.retryStream : Source.subjectStream;
      for (const [id, fields] of entries) {
        const d = this.toDelivery(source, id.toString(), fields, 1);
        if (d) this.take(d);
      }
    }
    this.pump();
  }

  /**
   * Subject-stream entries carry `i` (message id, absent when the publisher
   * gave none: the entry id stands in) and `d`; retry-stream entries add `n`,
   * the delivery count they come back with. Each claim since raises the PEL
   * counter, so deliveryCount = n + timesDelivered - 1.
   */
  private toDelivery(source: Source, entryId: string, fields: Buffer[] | null, timesDelivered: number): RedisDelivery | undefined {
    if (!fields) return undefined;
    let msgId: string | undefined;
    let data: Buffer | undefined;
    let base = 1;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const f = fields[i][0];
      if (f === 0x64) data = fields[i + 1];
      else if (f === 0x69) msgId = fields[i + 1].toString();
      else if (f === 0x6e) base = Number(fields[i + 1].toString()) || 1;
    }
    return new RedisDelivery(
      this,
      source,
      entryId,
      msgId ?? entryId,
      this.subject,
      data ?? Buffer.alloc(0),
      base + timesDelivered - 1,
      timesDelivered,
    );
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

  private sourceKey(d: RedisDelivery): string {
    return d.source === Source.subjectStream ? this.subjectKeys.stream : this.retryStream;
  }

  private failed(what: string) {
    return (err: unknown): never => {
      throw transportError(err, `${what} on ${JSON.stringify(this.subject)}/${JSON.stringify(this.group)}`, this.settings.commandTimeoutMs);
    };
  }

  ack(d: RedisDelivery, write?: StoreWrite): Promise<boolean> {
    if (write) return this.commit(d, write, 'ack', 0);
    if (!this.settle(d)) return Promise.resolve(true);
    if (d.source === Source.retryStream)
      return this.cmd.eventideAckRetried(this.retryStream, this.group, d.entryId).then(yes, this.failed('ack'));
    return this.acks.add(d.entryId).catch(this.failed('ack'));
  }

  /**
   * Acks issued in the same tick (a batch of handlers finishing together) go out as one XACK with
   * many ids: one command for Redis to run instead of one per delivery. A plain XACK, no lease
   * check: even a late ack means the work was done; at worst it settles an entry another consumer
   * now runs, whose own ack then does nothing.
   */
  private readonly acks = new TickBatch<string, boolean>((ids) =>
    this.cmd.xack(this.subjectKeys.stream, this.group, ...ids).then(() => ids.map(yes)),
  );

  async retry(d: RedisDelivery, delayMs: number, write?: StoreWrite): Promise<boolean> {
    const delay = Math.max(0, Math.ceil(Number(delayMs) || 0));
    if (write) return this.commit(d, write, 'retry', delay);
    if (!this.settle(d)) return true;
    await this.requeue(d, delay, d.deliveryCount + 1).catch(this.failed('retry'));
    if (delay > 0) this.wakeIn(delay);
    return true;
  }

  /** The store write and the settlement in one script; a lost compare-and-set settles nothing. */
  private async commit(d: RedisDelivery, write: StoreWrite, mode: 'ack' | 'retry', delay: number): Promise<boolean> {
    const rev = await this.commits.add({ d, write, mode, delay }).catch(this.failed(mode));
    if (rev === WRITE_LOST) return false;
    this.settle(d);
    if (mode === 'retry' && delay > 0) this.wakeIn(delay);
    return true;
  }

  /** One script call for every commit of a tick (see TickBatch). */
  private readonly commits = new TickBatch<Commit, number>((batch) => {
    const k = this.keys;
    const args: (string | Buffer | number)[] = [
      batch.length + 6,
      k.kvIndex,
      k.kvSeq,
      k.kvExpiry,
      this.subjectKeys.stream,
      this.retryDue,
      this.retryStream,
    ];
    const items: (string | Buffer)[] = [];
    for (const { d, write, mode, delay } of batch) {
      args.push(k.kv(write.key));
      const revision = write.revision === undefined ? '' : String(write.revision);
      items.push(
        asBuffer(write.value),
        write.key,
        revision,
        mode,
        d.entryId,
        String(d.timesDelivered),
        String(delay),
        String(d.deliveryCount + 1),
        d.source,
        String(expireOf(write)),
      );
    }
    args.push(this.group, this.name, Date.now(), k.kv(''), packItems(items));
    return this.cmd.eventideCommit(...args);
  });

  private requeue(d: RedisDelivery, delayMs: number, nextCount: number): Promise<number> {
    return this.cmd.eventideRequeue(
      this.sourceKey(d),
      this.retryDue,
      this.retryStream,
      this.group,
      this.name,
      d.entryId,
      d.timesDelivered,
      delayMs,
      nextCount,
      d.source,
    );
  }

  async deadLetter(d: RedisDelivery, reason: string): Promise<void> {
    if (!this.settle(d)) return;
    await this.cmd
      .eventideDeadLetter(
        this.sourceKey(d),
        this.keys.deadLetters,
        this.group,
        this.name,
        d.entryId,
        d.timesDelivered,
        String(reason),
        this.subject,
        this.settings.maxDeadLetters,
        d.source,
      )
      .catch(this.failed('deadLetter'));
  }

  async working(d: RedisDelivery): Promise<void> {
    if (d.settled) return;
    await this.cmd.eventideExtendLease(this.sourceKey(d), this.group, this.name, d.entryId, d.timesDelivered).catch(this.failed('working'));
  }

  // ── due entries ────────────────────────────────────────────────────────

  /** Something becomes due in `delayMs`: make sure the mover runs by then. */
  wakeIn(delayMs: number): void {
    if (this.stopping) return;
    const at = Date.now() + Math.max(0, delayMs);
    if (at >= this.moverAt) return;
    this.armMover(Math.max(0, delayMs));
  }

  private armMover(delayMs: number): void {
    if (this.moverTimer) clearTimeout(this.moverTimer);
    this.moverAt = Date.now() + delayMs;
    // +1: a timer may fire a hair before the server clock reaches the due time.
    this.moverTimer = setTimeout(() => {
      this.moverTimer = undefined;
      this.moverAt = Infinity;
      void this.move();
    }, delayMs + 1);
    this.moverTimer.unref();
  }

  private async move(): Promise<void> {
    if (this.stopping) return;
    if (this.moving) {
      this.moveAgain = true;
      return;
    }
    this.moving = true;
    let next = this.settings.moverMaxWaitMs;
    try {
      const { delayed, stream } = this.subjectKeys;
      const wait = await this.cmd.eventideMoveDue(delayed, stream, this.retryDue, this.retryStream, MOVE_BATCH);
      if (wait !== MoveDue.nothingWaits) next = Math.min(wait, next);
    } catch (err) {
      this.report(err, 'move due entries');
      next = Math.min(next, 1000);
    } finally {
      this.moving = false;
    }
    if (this.moveAgain) {
      this.moveAgain = false;
      next = 0;
    }
    if (!this.stopping && Date.now() + next < this.moverAt) this.armMover(next);
  }

  // ── reclaim ────────────────────────────────────────────────────────────

  private async reclaim(): Promise<void> {
    if (this.stopping || this.reclaiming) return;
    const free = this.concurrency - this.active - this.backlog.length;
    if (free <= 0) return;
    this.reclaiming = true;
    try {
      const [c1, c2, entries] = await this.cmd.eventideReclaimBuffer(
        this.subjectKeys.stream,
        this.retryStream,
        this.group,
        this.name,
        this.ackWaitMs,
        free,
        this.cursors[0],
        this.cursors[1],
      );
      this.cursors = [c1.toString(), c2.toString()];
      for (const [s, id, fields, times] of entries) {
        const d = this.toDelivery(
          s === Reclaimed.retryStream ? Source.retryStream : Source.subjectStream,
          id.toString(),
          fields,
          Number(times),
        );
        if (d) this.take(d);
      }
      this.pump();
    } catch (err) {
      if (!this.stopping && String((err as Error).message).includes('NOGROUP')) await this.ensureGroups().catch(noop);
      else if (!this.stopping) this.report(err, 'reclaim');
    } finally {
      this.reclaiming = false;
    }
  }

  // ── stopping ───────────────────────────────────────────────────────────

  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    return (this.stopped ??= this.shutdown(options.timeoutMs ?? 30_000));
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.moverTimer) clearTimeout(this.moverTimer);
    if (this.reclaimTimer) clearInterval(this.reclaimTimer);
    this.moverTimer = this.reclaimTimer = undefined;
    this.slotFreed?.();
    // 1. Stop reading: unblock the pending XREADGROUP; disconnect if Redis does not answer.
    if (this.loop) {
      if (this.readerId !== undefined) await this.cmd.client('UNBLOCK', this.readerId).catch(noop);
      // Entries a cut read was already given stay pending under this consumer and are reclaimed after the ack wait.
      if (this.readerId === undefined || !(await settledWithin(this.loop, 250))) this.reader?.disconnect();
      await this.loop;
    }
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
        this.requeue(d, 0, started.has(d) ? d.deliveryCount + 1 : d.deliveryCount).catch((err) =>
          this.report(err, 'hand back (it comes back after its ack wait instead)'),
        ),
      ),
    );
    await this.cmd
      .eventideRetireConsumers(this.subjectKeys.stream, this.retryStream, this.group, this.name, this.settings.staleConsumerMs)
      .catch(noop);
    if (this.reader) await closeConnection(this.reader, 250);
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
