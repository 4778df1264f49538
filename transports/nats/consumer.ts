/**
 * One member of a consumer group: a Puller feeding the handler, and the
 * Delivery each handler settles. The group itself is the durable JetStream
 * consumer; every process that consumes it with the same name shares it.
 */
import type { Msg, NatsConnection } from 'nats';
import { settledWithin } from '../../core/lib/bounded.js';
import type { Consumer, Delivery, DeliveryHandler, KVStore, StoreWrite } from '../../core/transport.js';
import { TransportError } from '../../core/transport.js';
import { ACK, ackInfo, deliveryCountOf, NAK, nakAfter, TERM, WPI } from './acks.js';
import { idFromHeader, MSG_ID } from './names.js';
import { Puller } from './puller.js';

/** A delivery on its way to the dead-letter stream; storing it twice under `dedupId` keeps one. */
export interface OutgoingDeadLetter {
  id: string;
  subject: string;
  group: string;
  reason: string;
  data: Uint8Array;
  dedupId: string;
}

export interface DeadLetterSink {
  (letter: OutgoingDeadLetter): Promise<void>;
}

const resolved: Promise<void> = Promise.resolve();

class NatsDelivery implements Delivery {
  settled = false;
  readonly deliveryCount: number;
  private msgId: string | undefined;

  constructor(
    private readonly owner: GroupConsumer,
    readonly msg: Msg,
  ) {
    this.deliveryCount = deliveryCountOf(msg.reply as string);
  }

  get id(): string {
    // Headers are parsed on first access only; most handlers never ask.
    return (this.msgId ??= idFromHeader(this.msg.headers?.get(MSG_ID) || String(ackInfo(this.msg).streamSeq)));
  }

  get subject(): string {
    return this.owner.subject;
  }

  get data(): Uint8Array {
    return this.msg.data;
  }

  async ack(write?: StoreWrite): Promise<boolean> {
    // JetStream cannot write KV and ack in one step: the write lands first, so an ack never runs ahead of it.
    if (write && !(await this.owner.write(write))) return false;
    await this.owner.settle(this, ACK);
    return true;
  }

  async retry(delayMs: number, write?: StoreWrite): Promise<boolean> {
    if (write && !(await this.owner.write(write))) return false;
    await this.owner.settle(this, delayMs >= 1 ? nakAfter(delayMs) : NAK);
    return true;
  }

  deadLetter(reason: string): Promise<void> {
    return this.owner.deadLetter(this, reason);
  }

  working(): Promise<void> {
    if (!this.settled) {
      try {
        this.msg.respond(WPI);
      } catch (e) {
        return Promise.reject(closedError(e));
      }
    }
    return resolved;
  }
}

function closedError(e: unknown): TransportError {
  return new TransportError(
    'NATS transport: cannot settle the delivery, the connection is closed; it will be redelivered after its ack wait',
    { cause: e, code: 'CLOSED' },
  );
}

export class GroupConsumer implements Consumer {
  private readonly unsettled = new Set<NatsDelivery>();
  private readonly puller: Puller;
  private stopping: Promise<void> | undefined;
  private readonly release = () => this.puller.release();

  constructor(
    nc: NatsConnection,
    stream: string,
    readonly durable: string,
    readonly subject: string,
    readonly group: string,
    private readonly handler: DeliveryHandler,
    concurrency: number,
    ensure: () => Promise<void>,
    private readonly sink: DeadLetterSink,
    private readonly onStopped: (c: GroupConsumer) => void,
    private readonly store: KVStore,
  ) {
    this.puller = new Puller(nc, stream, durable, Math.max(1, Math.floor(concurrency)), {
      onMessage: (msg) => this.run(msg),
      onLate: (msg) => {
        try {
          msg.respond(NAK);
        } catch {
          // closed: the server redelivers it after the ack wait anyway
        }
      },
      onMissing: ensure,
    });
  }

  private run(msg: Msg): void {
    const d = new NatsDelivery(this, msg);
    this.unsettled.add(d);
    let result: unknown;
    try {
      result = this.handler(d);
    } catch {
      // Like a crashed worker: an unsettled delivery comes back after its ack wait.
      return this.release();
    }
    if (result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(this.release, this.release);
    else this.release();
  }

  async write(w: StoreWrite): Promise<boolean> {
    const { key, value, revision } = w;
    const next = revision === undefined ? await this.store.create(key, value, w) : await this.store.update(key, value, revision, w);
    return next !== undefined;
  }

  settle(d: NatsDelivery, payload: Uint8Array): Promise<void> {
    // Late settlements (after a hand-back on stop) are ignored: the message is someone else's now.
    if (d.settled) return resolved;
    d.settled = true;
    this.unsettled.delete(d);
    try {
      d.msg.respond(payload);
    } catch (e) {
      return Promise.reject(closedError(e));
    }
    return resolved;
  }

  async deadLetter(d: NatsDelivery, reason: string): Promise<void> {
    if (d.settled) return;
    d.settled = true;
    this.unsettled.delete(d);
    try {
      await this.sink({
        id: d.id,
        subject: this.subject,
        group: this.group,
        reason,
        data: d.data,
        dedupId: `${this.durable}.${ackInfo(d.msg).streamSeq}`,
      });
    } catch (e) {
      // Not recorded, so not terminated: it stays in flight and comes back.
      d.settled = false;
      this.unsettled.add(d);
      throw e;
    }
    try {
      d.msg.respond(TERM);
    } catch (e) {
      throw closedError(e);
    }
  }

  stop({ timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<void> {
    return (this.stopping ??= this.shutdown(timeoutMs));
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    const drained = this.puller.stop();
    await settledWithin(this.puller.whenIdle(), timeoutMs);
    // NAK without delay: the server hands these to another member at once.
    for (const d of [...this.unsettled]) await this.settle(d, NAK).catch(() => undefined);
    await drained;
    this.onStopped(this);
  }

  /** After a reconnect the server has forgotten this member's pull requests. */
  reset(): void {
    this.puller.reset();
  }
}
