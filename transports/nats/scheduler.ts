/**
 * Delayed publishes. nats-server before 2.12 has no scheduled messages, so
 * a delayed publish goes to the namespace's `_delayed` work-queue stream with
 * its due time in a header, and one durable consumer there (shared by every
 * process that consumes anything) moves it to its subject's stream when due:
 *
 *   publish(delayMs) ──► <ns>_delayed ──scheduler──► early? NAK(remaining) (no polling: the server redelivers when due)
 *                                                  due?  publish to <ns>.<subject>[.<topic>] (same Nats-Msg-Id), then ACK
 *
 * Why not publish to the subject's stream and NAK early deliveries in every
 * group: each NAK would count as a delivery (the Delivery's deliveryCount
 * would start at 2 for delayed messages, and not reliably), every group
 * would hold the message as ack-pending for the whole delay, and history
 * would list events that have not happened yet. Here a delayed message
 * reaches the groups exactly once, at its due time, with deliveryCount 1.
 *
 * Crash safety: the move is publish-then-ACK, and the publish carries the
 * original message id, so a scheduler dying in between causes a redelivery
 * whose publish the duplicate window absorbs.
 */
import { headers, type Msg, type NatsConnection } from 'nats';
import type { Publisher } from './publisher.js';
import { ACK, nakAfter } from './acks.js';
import { readAck } from './errors.js';
import { MSG_ID, type Names } from './names.js';
import { Puller } from './puller.js';

export const DUE_HEADER = 'Eventide-Due';
export const SCHEDULER = 'scheduler';

export class Scheduler {
  private readonly puller: Puller;

  constructor(
    nc: NatsConnection,
    private readonly publisher: Publisher,
    private readonly names: Names,
    ensure: () => Promise<void>,
  ) {
    this.puller = new Puller(nc, names.delayed, SCHEDULER, 256, {
      onMessage: (msg) => this.move(msg),
      onLate: (msg) => this.settle(msg, nakAfter(0)),
      onMissing: ensure,
    });
  }

  private move(msg: Msg): void {
    const h = msg.headers;
    const rest = Number(h?.get(DUE_HEADER)) - Date.now();
    if (rest > 0) {
      this.settle(msg, nakAfter(rest));
      this.puller.release();
      return;
    }
    const out = headers();
    const id = h?.get(MSG_ID);
    if (id) out.set(MSG_ID, id);
    const target = this.names.root + msg.subject.slice(this.names.delayedPrefix.length);
    this.publisher
      .request(target, msg.data, out, 'moving a delayed message')
      .then(
        (r) => this.settle(msg, readAck(r).error ? nakAfter(1_000) : ACK),
        () => this.settle(msg, nakAfter(1_000)),
      )
      .finally(() => this.puller.release());
  }

  private settle(msg: Msg, payload: Uint8Array): void {
    try {
      msg.respond(payload);
    } catch {
      // closed: the server redelivers after the ack wait
    }
  }

  reset(): void {
    this.puller.reset();
  }

  stop(): Promise<void> {
    return this.puller.stop();
  }
}
