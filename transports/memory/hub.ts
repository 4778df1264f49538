/**
 * The state behind memory transports: streams with consumer groups, a
 * key-value map and broadcast channels, all within one process. Transports
 * created with the same hub (by default, the process-wide one) see the same
 * data, so a producer runtime and a worker runtime in one process meet.
 *
 * A message moves through a group like this:
 *   ready ──dispatch──► in flight ──ack──► gone
 *     ▲                    │ retry(delay) / ack wait expired / handed back
 *     └──── delayed ◄──────┘ deadLetter ──► dead letters
 * One timer per group serves the delayed heap and one serves ack deadlines,
 * however many messages wait.
 */
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { DeadLetter, Delivery, DeliveryHandler, HistoryEntry, Revision, StoredValue, StoreWrite } from '../../core/transport.js';
import { TransportError } from '../../core/transport.js';
import { DueHeap } from './heap.js';
import { Fifo } from '../../core/lib/fifo.js';

export interface HubLimits {
  /** Most messages one group may hold (ready + delayed + in flight) before publish refuses. */
  maxQueued: number;
  /** Messages each subject keeps for `history` and for groups created later. */
  maxHistory: number;
  /** How long a msgId is remembered for deduplication. */
  dedupWindowMs: number;
  maxDeadLetters: number;
}

export const defaultLimits: HubLimits = {
  maxQueued: 1_000_000,
  maxHistory: 10_000,
  dedupWindowMs: 2 * 60_000,
  maxDeadLetters: 10_000,
};

interface Message {
  id: string;
  subject: string;
  data: Uint8Array;
  at: number;
}

interface Entry {
  msg: Message;
  deliveryCount: number;
  due: number;
  seq: number;
}

interface InFlight {
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

class Group {
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
    private readonly hub: MemoryHub,
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

class Stream {
  readonly history = new Fifo<Message>();
  readonly groups = new Map<string, Group>();
  constructor(readonly subject: string) {}
}

export class MemoryHub {
  private readonly streams = new Map<string, Stream>();
  private readonly dedup = new Map<string, number>();
  private readonly kv = new Map<string, StoredValue>();
  private readonly channels = new Map<string, Set<(data: Uint8Array) => void>>();
  private readonly dead: DeadLetter[] = [];
  private seq = 0;
  private revision = 0;
  readonly limits: HubLimits;

  constructor(
    readonly clock: Clock,
    limits: Partial<HubLimits> = {},
  ) {
    this.limits = { ...defaultLimits, ...limits };
  }

  nextSeq(): number {
    return ++this.seq;
  }

  private stream(subject: string): Stream {
    let s = this.streams.get(subject);
    if (!s) this.streams.set(subject, (s = new Stream(subject)));
    return s;
  }

  publish(subject: string, data: Uint8Array, msgId: string | undefined, delayMs: number): boolean {
    const now = this.clock.now();
    this.pruneDedup(now);
    const dedupKey = msgId === undefined ? undefined : `${subject}\u0000${msgId}`;
    if (dedupKey !== undefined && this.dedup.has(dedupKey)) return true;
    const stream = this.stream(subject);
    for (const group of stream.groups.values()) {
      if (group.size >= this.limits.maxQueued) {
        throw new TransportError(
          `memory transport: group "${group.name}" on "${subject}" holds ${group.size} messages, its limit (maxQueued); refusing more until it drains`,
          { code: 'QUEUE_FULL' },
        );
      }
    }
    if (stream.groups.size === 0 && stream.history.size >= this.limits.maxHistory) {
      throw new TransportError(
        `memory transport: "${subject}" has no consumer yet and already holds ${stream.history.size} messages (maxHistory); refusing more so none is dropped`,
        { code: 'QUEUE_FULL' },
      );
    }
    const msg: Message = { id: msgId ?? `m${this.nextSeq()}`, subject, data, at: now };
    if (dedupKey !== undefined) this.dedup.set(dedupKey, now + this.limits.dedupWindowMs);
    stream.history.push(msg);
    while (stream.history.size > this.limits.maxHistory) stream.history.shift();
    for (const group of stream.groups.values()) group.enqueue({ msg, deliveryCount: 1, due: now + delayMs, seq: this.nextSeq() });
    return false;
  }

  private pruneDedup(now: number): void {
    for (const [key, expires] of this.dedup) {
      if (expires > now) break;
      this.dedup.delete(key);
    }
  }

  join(subject: string, groupName: string, member: Member): Group {
    const stream = this.stream(subject);
    let group = stream.groups.get(groupName);
    if (!group) {
      group = new Group(subject, groupName, this);
      stream.groups.set(groupName, group);
      // A group created after messages were published starts from what the subject still holds.
      const now = this.clock.now();
      for (const msg of stream.history) group.ready.push({ msg, deliveryCount: 1, due: now, seq: this.nextSeq() });
    }
    group.members.push(member);
    group.pump();
    return group;
  }

  leave(group: Group, member: Member): void {
    const i = group.members.indexOf(member);
    if (i >= 0) group.members.splice(i, 1);
    group.handBack(member);
    if (group.members.length === 0) group.close();
  }

  history(subject: string, limit: number): HistoryEntry[] {
    const s = this.streams.get(subject);
    if (!s) return [];
    const all = [...s.history];
    const out: HistoryEntry[] = [];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) out.push({ id: all[i].id, data: all[i].data, at: all[i].at });
    return out;
  }

  addDeadLetter(letter: DeadLetter): void {
    this.dead.push(letter);
    if (this.dead.length > this.limits.maxDeadLetters) this.dead.shift();
  }

  deadLetters(prefix: string, limit: number): DeadLetter[] {
    return this.dead
      .filter((d) => d.subject.startsWith(prefix))
      .slice(-limit)
      .reverse();
  }

  kvGet(key: string): StoredValue | undefined {
    return this.kv.get(key);
  }

  kvCreate(key: string, value: Uint8Array): Revision | undefined {
    if (this.kv.has(key)) return undefined;
    const revision = ++this.revision;
    this.kv.set(key, { value, revision });
    return revision;
  }

  kvUpdate(key: string, value: Uint8Array, expected: Revision): Revision | undefined {
    const current = this.kv.get(key);
    if (!current || current.revision !== expected) return undefined;
    const revision = ++this.revision;
    this.kv.set(key, { value, revision });
    return revision;
  }

  kvDelete(key: string): void {
    this.kv.delete(key);
  }

  kvKeys(prefix: string): string[] {
    const out: string[] = [];
    for (const key of this.kv.keys()) if (key.startsWith(prefix)) out.push(key);
    return out;
  }

  broadcast(channel: string, data: Uint8Array): void {
    const listeners = this.channels.get(channel);
    if (!listeners || listeners.size === 0) return;
    for (const listener of listeners) {
      try {
        listener(data);
      } catch {
        // A watcher's failure is its own; broadcasting goes on.
      }
    }
  }

  watch(channel: string, listener: (data: Uint8Array) => void): () => void {
    let set = this.channels.get(channel);
    if (!set) this.channels.set(channel, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }
}
