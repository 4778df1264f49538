/**
 * The state behind memory transports: streams with consumer groups, a
 * key-value map and broadcast channels, all within one process. Transports
 * created with the same hub (by default, the process-wide one) see the same
 * data, so a producer runtime and a worker runtime in one process meet.
 * How a group hands its messages to its members is in group.ts.
 */
import type { Clock } from '../../core/clock.js';
import { Fifo } from '../../core/lib/fifo.js';
import type { Backlog, DeadLetter, HistoryEntry, Listing, Revision, StoredValue, WatchOptions } from '../../core/transport.js';
import { TransportError } from '../../core/transport.js';
import { Channel } from './channel.js';
import { Group, type GroupHub, type Member, type Message } from './group.js';
import { MemoryListings } from './listings.js';
import { RateTable } from './rate-table.js';
import { SlotTable } from './slot-table.js';

export interface HubLimits {
  /** Most messages one group may hold (ready + delayed + in flight) before publish refuses. */
  maxQueued: number;
  /** Messages each subject keeps for `history` and for groups created later. */
  maxHistory: number;
  /** How long a msgId is remembered for deduplication. */
  dedupWindowMs: number;
  maxDeadLetters: number;
  /** Broadcasts each channel keeps for watchers that resume after a position. */
  broadcastWindow: number;
}

export const defaultLimits: HubLimits = {
  maxQueued: 1_000_000,
  maxHistory: 10_000,
  dedupWindowMs: 2 * 60_000,
  maxDeadLetters: 10_000,
  broadcastWindow: 1_000,
};

class Stream {
  readonly history = new Fifo<Message>();
  readonly groups = new Map<string, Group>();
  constructor(readonly subject: string) {}
}

export class MemoryHub implements GroupHub {
  private readonly streams = new Map<string, Stream>();
  private readonly dedup = new Map<string, number>();
  private readonly kv = new Map<string, StoredValue>();
  private readonly listings = new MemoryListings();
  private readonly channels = new Map<string, Channel>();
  private readonly dead: DeadLetter[] = [];
  private seq = 0;
  private revision = 0;
  readonly limits: HubLimits;
  /** Slots and start schedules, shared by every transport on this hub as the seam shares them across processes. */
  readonly slots: SlotTable;
  readonly rates: RateTable;

  constructor(
    readonly clock: Clock,
    limits: Partial<HubLimits> = {},
  ) {
    this.limits = { ...defaultLimits, ...limits };
    this.slots = new SlotTable(clock);
    this.rates = new RateTable(clock);
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

  backlog(subject: string, groupName: string): Backlog {
    const group = this.streams.get(subject)?.groups.get(groupName);
    if (!group) return { ready: 0, delayed: 0, inFlight: 0 };
    return { ready: group.ready.size, delayed: group.delayed.size, inFlight: group.inflight.size };
  }

  deadLetterCount(prefix: string): number {
    let n = 0;
    for (const d of this.dead) if (d.subject.startsWith(prefix)) n++;
    return n;
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

  /** `prefix` is the namespace's, for the names of the indexes a `listing` names. */
  kvCreate(key: string, value: Uint8Array, listing?: Listing, prefix = ''): Revision | undefined {
    if (this.kv.has(key)) return undefined;
    const revision = ++this.revision;
    this.kv.set(key, { value, revision });
    if (listing) this.listings.list(key, listing, prefix);
    return revision;
  }

  kvUpdate(key: string, value: Uint8Array, expected: Revision, listing?: Listing, prefix = ''): Revision | undefined {
    const current = this.kv.get(key);
    if (!current || current.revision !== expected) return undefined;
    const revision = ++this.revision;
    this.kv.set(key, { value, revision });
    if (listing) this.listings.list(key, listing, prefix);
    return revision;
  }

  kvDelete(key: string): void {
    this.kv.delete(key);
    this.listings.unlist(key);
  }

  indexPage(index: string, limit: number, after: string | undefined): string[] {
    return this.listings.page(index, limit, after);
  }

  kvKeys(prefix: string): string[] {
    const out: string[] = [];
    for (const key of this.kv.keys()) if (key.startsWith(prefix)) out.push(key);
    return out;
  }

  private channel(name: string): Channel {
    let channel = this.channels.get(name);
    if (!channel) this.channels.set(name, (channel = new Channel(Math.max(1, this.limits.broadcastWindow))));
    return channel;
  }

  broadcast(channel: string, data: Uint8Array): void {
    this.channel(channel).broadcast(data);
  }

  watch(
    channel: string,
    listener: (data: Uint8Array, position: string) => void,
    options?: WatchOptions,
  ): { position: number; stop: () => void } {
    return this.channel(channel).watch(listener, options);
  }
}
