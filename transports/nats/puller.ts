/**
 * A pull loop that asks JetStream for exactly as many messages as this
 * process has free handler slots.
 *
 * Why not nats.js `consume()`: it refills on *receipt*, so with slow handlers
 * messages pile up in its buffer with their ack-wait clocks running, and one
 * process hoards work other members of the group could run. Here a message
 * is requested only for a slot that is free, so the group's members share by
 * their real capacity and the consumer's max_ack_pending can stay unlimited
 * (which retry delays need: a NAK'd message counts as pending until it is
 * redelivered).
 *
 * Accounting: `outstanding` = messages requested and not yet received. It
 * drops on every message, by the unfilled count of a request the server ends
 * (408 with Nats-Pending-Messages), and to zero when requests may have been
 * lost (reconnect, or silence past every request's expiry).
 */
import { createInbox, nanos, type Msg, type NatsConnection, type Subscription } from 'nats';
import { settledWithin } from '../../core/lib/bounded.js';

export interface PullerHooks {
  /** A message for a free slot; `release()` must be called once when that slot frees. */
  onMessage(msg: Msg): void;
  /** A message that arrived after `stop()`: hand it straight back. */
  onLate(msg: Msg): void;
  /** The consumer or its stream is gone; recreate it. Pulling resumes when this resolves. */
  onMissing(): Promise<void>;
}

interface Request {
  batch: number;
  deadline: number;
}

const graceMs = 5_000;

export class Puller {
  active = 0;
  private outstanding = 0;
  /** Messages received beyond free slots (only when accounting was stale); run as slots free. */
  private readonly overflow: Msg[] = [];
  private readonly requests = new Map<string, Request>();
  private lastDeadline = 0;
  private seq = 0;
  private pullQueued = false;
  private recovering = false;
  private stopped = false;
  private readonly sub: Subscription;
  private readonly inbox: string;
  private readonly nextSubject: string;
  private readonly sweep: ReturnType<typeof setInterval>;
  private readonly minBatch: number;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly nc: NatsConnection,
    stream: string,
    consumer: string,
    readonly capacity: number,
    private readonly hooks: PullerHooks,
    private readonly expiresMs = 30_000,
  ) {
    this.inbox = createInbox();
    this.nextSubject = `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`;
    // Top up only when at least half the slots are free (or nothing is requested):
    // many tiny requests would crowd the consumer's waiting-request limit.
    this.minBatch = Math.max(1, Math.ceil(capacity / 2));
    this.sub = nc.subscribe(`${this.inbox}.*`, { callback: (err, msg) => (err ? undefined : this.receive(msg)) });
    this.sweep = setInterval(() => this.sweepExpired(), Math.max(1_000, Math.floor(expiresMs / 2)));
    this.sweep.unref?.();
    this.schedulePull();
  }

  private receive(msg: Msg): void {
    if (!msg.reply) return this.status(msg);
    if (this.outstanding > 0) this.outstanding--;
    if (this.stopped) return this.hooks.onLate(msg);
    if (this.active < this.capacity) {
      this.active++;
      this.hooks.onMessage(msg);
    } else this.overflow.push(msg);
  }

  private status(msg: Msg): void {
    const h = msg.headers;
    const code = h?.code ?? 0;
    if (code === 100) return; // idle heartbeat
    const request = this.requests.get(msg.subject);
    this.requests.delete(msg.subject);
    const left = h?.get('Nats-Pending-Messages');
    // A request the server ends tells how much of it went unfilled; one it refuses never got anything.
    const unfilled = left ? Number(left) : code === 408 ? 0 : (request?.batch ?? 0);
    this.outstanding = Math.max(0, this.outstanding - unfilled);
    if (code === 503 || (code === 409 && /consumer deleted/i.test(h?.description ?? ''))) void this.recover();
    else if (code === 408) this.schedulePull();
    // Refused (too many waiting requests, leadership change, …): ask again a little later, never in a tight loop.
    else setTimeout(() => this.schedulePull(), 250).unref?.();
  }

  release(): void {
    this.active--;
    while (this.overflow.length > 0 && this.active < this.capacity && !this.stopped) {
      this.active++;
      this.hooks.onMessage(this.overflow.shift() as Msg);
    }
    if (this.active === 0 && this.idleWaiters.length > 0) for (const wake of this.idleWaiters.splice(0)) wake();
    this.schedulePull();
  }

  /** Pull requests die with the connection; after a reconnect, ask afresh. */
  reset(): void {
    this.outstanding = 0;
    this.requests.clear();
    this.schedulePull();
  }

  private schedulePull(): void {
    if (this.pullQueued || this.stopped) return;
    this.pullQueued = true;
    // Handlers finishing together free their slots in one request.
    queueMicrotask(() => this.pull());
  }

  private pull(): void {
    this.pullQueued = false;
    if (this.stopped || this.recovering) return;
    const want = this.capacity - this.active - this.overflow.length - this.outstanding;
    if (want <= 0 || (this.outstanding > 0 && want < this.minBatch)) return;
    const reply = `${this.inbox}.${++this.seq}`;
    const deadline = Date.now() + this.expiresMs;
    try {
      this.nc.publish(this.nextSubject, JSON.stringify({ batch: want, expires: nanos(this.expiresMs) }), { reply });
    } catch {
      return; // closed connection: nothing to pull from
    }
    this.requests.set(reply, { batch: want, deadline });
    this.outstanding += want;
    this.lastDeadline = deadline;
  }

  private sweepExpired(): void {
    const now = Date.now();
    for (const [reply, r] of this.requests) if (r.deadline + graceMs < now) this.requests.delete(reply);
    // Every live request ends in messages or a 408; silence past the last deadline means they were lost.
    if (this.outstanding > 0 && this.lastDeadline + graceMs < now) this.reset();
  }

  private async recover(): Promise<void> {
    if (this.recovering || this.stopped) return;
    this.recovering = true;
    this.outstanding = 0;
    this.requests.clear();
    for (let wait = 250; !this.stopped; wait = Math.min(wait * 2, 5_000)) {
      try {
        await this.hooks.onMissing();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, wait).unref?.());
      }
    }
    this.recovering = false;
    this.schedulePull();
  }

  /** Resolves when no handler holds a slot. */
  whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops asking for messages. The inbox is drained rather than dropped: the
   * server forgets requests whose inbox lost interest, and anything already
   * on its way arrives before the drain's flush and goes to `onLate`.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.sweep);
    for (const msg of this.overflow.splice(0)) this.hooks.onLate(msg);
    if (this.nc.isClosed()) return;
    // A drain needs the server; while it is unreachable, give up after a moment (the server drops our requests with the connection anyway).
    await settledWithin(this.sub.drain(), 2_000);
  }
}
