/**
 * A consumer group of a memory hub: the messages waiting for its members,
 * which member runs which, and what comes back (each delivery settles
 * through its group). A message moves through a group like this:
 *   ready ──dispatch──► in flight ──ack──► gone
 *     ▲                    │ retry(delay) / ack wait expired / handed back
 *     └──── delayed ◄──────┘ deadLetter ──► dead letters
 * One timer per group serves the delayed heap and one serves ack deadlines,
 * however many messages wait.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import { Fifo } from '../../core/lib/fifo.js';
import type { DeadLetter, Delivery, DeliveryHandler, StoreWrite } from '../../core/transport.js';
import { DueHeap } from './heap.js';

/** What a group needs from the hub it lives in. */
export interface GroupHub {
  readonly clock: Clock;
  nextSeq(): number;
  addDeadLetter(letter: DeadLetter): void;
}

export interface Message {
  id: string;
  subject: string;
  data: Uint8Array;
  at: number;
}

export interface Entry {
  msg: Message;
  deliveryCount: number;
  due: number;
  seq: number;
}

export interface InFlight {
  entry: Entry;
  member: Member;
  deadline: number;
  settled: boolean;
}

export interface Member {
  handler: DeliveryHandler;
  /** Compare-and-set into the member's namespace of the store, for writes that travel with a settlement. */
  write: (w: StoreWrite) => boolean;
  concurrency: number;
  ackWaitMs: number;
  active: number;
  stopped: boolean;
  running: Set<Promise<void>>;
  inflight: Set<InFlight>;
}

export class Group {
  readonly ready = new Fifo<Entry>();
  readonly delayed = new DueHeap<Entry>();
  readonly inflight = new Set<InFlight>();
  readonly members: Member[] = [];
  private rr = 0;
  private pumping = false;
  private delayTimer: TimerHandle | undefined;
  private delayTimerAt = Infinity;
  private ackTimer: TimerHandle | undefined;

  constructor(
    readonly subject: string,
    readonly name: string,
    private readonly hub: GroupHub,
  ) {}

  get size(): number {
    return this.ready.size + this.delayed.size + this.inflight.size;
  }

  enqueue(entry: Entry): void {
    if (entry.due > this.hub.clock.now()) {
      this.delayed.push(entry);
      this.armDelayTimer();
    } else {
      this.ready.push(entry);
      this.pump();
    }
  }

  /**
   * Handlers start on the next turn of the event loop, never inside the
   * caller's publish or ack: a `send` answers before background work
   * competes with it, and one turn dispatches many messages.
   */
  pump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(this.pumpNow);
  }

  private pumpScheduled = false;
  private readonly pumpNow = () => {
    this.pumpScheduled = false;
    this.drain();
  };

  private drain(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.ready.size > 0) {
        const member = this.nextFreeMember();
        if (!member) break;
        this.dispatch(member, this.ready.shift() as Entry);
      }
    } finally {
      this.pumping = false;
    }
  }

  private nextFreeMember(): Member | undefined {
    const n = this.members.length;
    for (let i = 0; i < n; i++) {
      const m = this.members[(this.rr + i) % n];
      if (!m.stopped && m.active < m.concurrency) {
        this.rr = (this.rr + i + 1) % n;
        return m;
      }
    }
    return undefined;
  }

  private dispatch(member: Member, entry: Entry): void {
    const flight: InFlight = { entry, member, deadline: this.hub.clock.now() + member.ackWaitMs, settled: false };
    this.inflight.add(flight);
    member.inflight.add(flight);
    member.active++;
    this.armAckTimer(member.ackWaitMs);
    const delivery = new MemoryDelivery(this, flight);
    const run = (async () => {
      try {
        await member.handler(delivery);
      } catch {
        // An unsettled delivery whose handler threw comes back after its ack wait, as on a real broker.
      }
    })();
    member.running.add(run);
    void run.finally(() => member.running.delete(run));
  }

  deadLetter(flight: InFlight, reason: string): void {
    const { msg } = flight.entry;
    if (this.settle(flight))
      this.hub.addDeadLetter({ id: msg.id, subject: msg.subject, group: this.name, reason, data: msg.data, at: this.hub.clock.now() });
  }

  retry(flight: InFlight, delayMs: number): void {
    if (this.settle(flight)) this.requeue(flight.entry, delayMs);
  }

  working(flight: InFlight): void {
    if (!flight.settled) flight.deadline = this.hub.clock.now() + flight.member.ackWaitMs;
  }

  /** Marks a delivery settled; false when it already was (late ack after a redelivery). */
  settle(flight: InFlight): boolean {
    if (flight.settled) return false;
    flight.settled = true;
    this.inflight.delete(flight);
    flight.member.inflight.delete(flight);
    flight.member.active--;
    this.pump();
    return true;
  }

  requeue(entry: Entry, delayMs: number): void {
    this.enqueue({
      msg: entry.msg,
      deliveryCount: entry.deliveryCount + 1,
      due: this.hub.clock.now() + Math.max(0, delayMs),
      seq: this.hub.nextSeq(),
    });
  }

  /** Hands back a member's unsettled deliveries so another member gets them at once. */
  handBack(member: Member): void {
    for (const flight of [...member.inflight]) if (this.settle(flight)) this.requeue(flight.entry, 0);
  }

  private armDelayTimer(): void {
    const next = this.delayed.peek();
    if (!next || next.due >= this.delayTimerAt) return;
    if (this.delayTimer) this.hub.clock.clearTimeout(this.delayTimer);
    this.delayTimerAt = next.due;
    this.delayTimer = this.hub.clock.setTimeout(() => {
      this.delayTimer = undefined;
      this.delayTimerAt = Infinity;
      const now = this.hub.clock.now();
      while (this.delayed.size > 0 && (this.delayed.peek() as Entry).due <= now) this.ready.push(this.delayed.pop() as Entry);
      this.pump();
      this.armDelayTimer();
    }, next.due - this.hub.clock.now());
  }

  private armAckTimer(ackWaitMs: number): void {
    if (this.ackTimer) return;
    // Deadlines are checked at a fraction of the ack wait: a redelivery comes at most 25% late.
    const every = Math.max(5, Math.floor(ackWaitMs / 4));
    this.ackTimer = this.hub.clock.setTimeout(() => {
      this.ackTimer = undefined;
      const now = this.hub.clock.now();
      let smallest = Infinity;
      for (const flight of [...this.inflight]) {
        if (flight.deadline <= now && this.settle(flight)) this.requeue(flight.entry, 0);
        else smallest = Math.min(smallest, flight.member.ackWaitMs);
      }
      if (this.inflight.size > 0) this.armAckTimer(smallest);
    }, every);
  }

  close(): void {
    if (this.delayTimer) this.hub.clock.clearTimeout(this.delayTimer);
    if (this.ackTimer) this.hub.clock.clearTimeout(this.ackTimer);
    this.delayTimer = this.ackTimer = undefined;
    this.delayTimerAt = Infinity;
  }
}

/** A prototype-method delivery: thousands per second, so no closures per delivery. */
class MemoryDelivery implements Delivery {
  readonly id: string;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly deliveryCount: number;
  constructor(
    private readonly group: Group,
    private readonly flight: InFlight,
  ) {
    const { entry } = flight;
    this.id = entry.msg.id;
    this.subject = entry.msg.subject;
    this.data = entry.msg.data;
    this.deliveryCount = entry.deliveryCount;
  }
  async ack(write?: StoreWrite): Promise<boolean> {
    if (write && !this.flight.member.write(write)) return false;
    this.group.settle(this.flight);
    return true;
  }
  async retry(delayMs: number, write?: StoreWrite): Promise<boolean> {
    if (write && !this.flight.member.write(write)) return false;
    this.group.retry(this.flight, delayMs);
    return true;
  }
  async deadLetter(reason: string): Promise<void> {
    this.group.deadLetter(this.flight, reason);
  }
  async working(): Promise<void> {
    this.group.working(this.flight);
  }
}
