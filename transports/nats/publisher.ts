/**
 * JetStream publishes that survive a reconnect.
 *
 * nats.js v2 discards whatever it buffered while disconnected when it dials
 * again, so a plain `js.publish` issued around a server restart just times
 * out. Here every publish stays pending, with its bytes, until its
 * acknowledgement arrives; after a reconnect all pending publishes are sent
 * again. Every publish carries a Nats-Msg-Id (the transport adds one when
 * the caller gives none), so a copy that did reach the stream before the
 * connection dropped is absorbed by the duplicate window. A publish still
 * unacknowledged at its deadline rejects: nothing hangs.
 *
 * One inbox subscription serves all publishes, and one timer sweeps
 * deadlines (all publishes share one timeout, so the Map's insertion order
 * is deadline order): no timer and no Error per publish.
 */
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from 'nats';
import { TransportError } from '../../core/transport.js';
import { requestError } from './errors.js';

interface Pending {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs | undefined;
  deadline: number;
  /** What to call it in an error message: 'publish to "events"'. */
  label: string;
  noResponders: boolean;
  resolve: (msg: Msg) => void;
  reject: (e: unknown) => void;
}

export class Publisher {
  private readonly pending = new Map<number, Pending>();
  private readonly prefix: string;
  private readonly sub: Subscription;
  private readonly tick: number;
  private seq = 0;
  private up = true;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.prefix = `${createInbox()}.`;
    this.tick = Math.max(5, Math.min(50, Math.floor(timeoutMs / 10)));
    this.sub = nc.subscribe(`${this.prefix}*`, { callback: (err, msg) => (err ? undefined : this.reply(msg)) });
  }

  request(subject: string, data: Uint8Array, headers: MsgHdrs | undefined, label: string): Promise<Msg> {
    return new Promise<Msg>((resolve, reject) => {
      const token = ++this.seq;
      const p: Pending = { subject, data, headers, deadline: Date.now() + this.timeoutMs, label, noResponders: false, resolve, reject };
      this.pending.set(token, p);
      if (this.up) this.send(token, p);
      if (!this.timer) this.arm();
    });
  }

  private send(token: number, p: Pending): void {
    try {
      this.nc.publish(p.subject, p.data, { reply: this.prefix + token, headers: p.headers });
    } catch (e) {
      this.pending.delete(token);
      p.reject(requestError(e, p.label, this.timeoutMs));
    }
  }

  private reply(msg: Msg): void {
    const token = Number(msg.subject.slice(this.prefix.length));
    const p = this.pending.get(token);
    if (!p) return; // answered already, or timed out
    if (msg.headers?.code === 503) {
      // No stream listens (yet): right after a server restart JetStream may still be loading streams. Ask again until the deadline.
      p.noResponders = true;
      setTimeout(() => this.pending.has(token) && this.up && this.send(token, p), 100).unref?.();
      return;
    }
    this.pending.delete(token);
    p.resolve(msg);
  }

  private arm(): void {
    this.timer = setTimeout(() => this.sweep(), this.tick);
    this.timer.unref?.();
  }

  private sweep(): void {
    this.timer = undefined;
    const now = Date.now();
    for (const [token, p] of this.pending) {
      if (p.deadline > now) break;
      this.pending.delete(token);
      p.reject(requestError({ code: p.noResponders ? '503' : 'TIMEOUT' }, p.label, this.timeoutMs));
    }
    if (this.pending.size > 0) this.arm();
  }

  disconnected(): void {
    this.up = false;
  }

  /** Whatever was in flight or asked for while disconnected goes out again. */
  reconnected(): void {
    this.up = true;
    for (const [token, p] of this.pending) this.send(token, p);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const p of this.pending.values())
      p.reject(
        new TransportError(`NATS transport: ${p.label} failed: the transport was closed before the server acknowledged it`, {
          code: 'CLOSED',
        }),
      );
    this.pending.clear();
    try {
      this.sub.unsubscribe();
    } catch {
      // already closed
    }
  }
}
