/**
 * @module
 * The in-memory transport: the embedded default. Everything the seam
 * promises, within one process and without durability across a crash.
 *
 * @example
 * ```ts
 * import { createMemoryTransport } from 'eventide/transports/memory';
 * const runtime = createRuntime({ transport: createMemoryTransport({ namespace: 'app' }), functions });
 * ```
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { settledWithin } from '../../core/lib/bounded.js';
import type {
  Backlog,
  Consumer,
  ConsumeOptions,
  DeadLetter,
  DeliveryHandler,
  HistoryEntry,
  Indexes,
  KVStore,
  PublishOptions,
  PublishResult,
  Rates,
  SlotWaiter,
  Slots,
  Position,
  Transport,
  WatchOptions,
  Watching,
} from '../../core/transport.js';
import { TransportError, watching } from '../../core/transport.js';
import type { Member } from './group.js';
import { MemoryHub, type HubLimits } from './hub.js';

export { MemoryHub, type HubLimits } from './hub.js';

export interface MemoryTransportOptions extends Partial<HubLimits> {
  /** Prefix of every subject, key and channel. */
  namespace?: string;
  /** Share state with other transports on this hub; defaults to one hub per process. */
  hub?: MemoryHub;
  clock?: Clock;
}

let processHub: MemoryHub | undefined;

/** The hub that memory transports share unless given one: a producer and a worker runtime in one process meet here. */
export function defaultHub(): MemoryHub {
  return (processHub ??= new MemoryHub(systemClock));
}

export class MemoryTransport implements Transport {
  readonly kind = 'memory';
  readonly durable = false;
  readonly store: KVStore;
  readonly slots: Slots;
  readonly rates: Rates;
  readonly indexes: Indexes;
  private readonly hub: MemoryHub;
  private readonly prefix: string;
  private readonly consumers = new Set<Consumer>();
  private readonly watches = new Set<() => void>();
  private closed = false;

  constructor(options: MemoryTransportOptions = {}) {
    const { namespace = 'eventide', hub, clock, ...limits } = options;
    this.hub = hub ?? (clock || Object.keys(limits).length > 0 ? new MemoryHub(clock ?? systemClock, limits) : defaultHub());
    this.prefix = `${namespace}.`;
    const hubRef = this.hub;
    const p = this.prefix;
    this.store = {
      get: async (key) => hubRef.kvGet(p + key),
      create: async (key, value, options) => hubRef.kvCreate(p + key, value, options?.listing, p),
      update: async (key, value, revision, options) => hubRef.kvUpdate(p + key, value, revision, options?.listing, p),
      delete: async (key) => hubRef.kvDelete(p + key),
      keys: async (prefix) => hubRef.kvKeys(p + prefix).map((k) => k.slice(p.length)),
    };
    const table = hubRef.slots;
    const wake = (w: SlotWaiter) => void hubRef.publish(p + w.subject, w.data, undefined, 0);
    this.slots = {
      acquire: async (key, holder, limit, leaseMs, waiter) => table.acquire(p + key, holder, limit, leaseMs, wake, waiter),
      release: async (key, holder) => table.release(p + key, holder, wake),
      renew: async (key, holder, leaseMs) => table.renew(p + key, holder, leaseMs),
      // The table is the hub's: reclaim only what this namespace's wake can publish.
      reclaim: async () => table.reclaim(p, wake),
      count: async (key) => table.count(p + key),
    };
    this.indexes = { page: async (index, limit, after) => hubRef.indexPage(p + index, limit, after) };
    const rates = hubRef.rates;
    this.rates = {
      reserve: async (key, limit, periodMs, burst) => rates.reserve(p + key, limit, periodMs, burst),
      take: async (key, limit, periodMs, burst) => rates.take(p + key, limit, periodMs, burst),
    };
  }

  async connect(): Promise<void> {
    this.closed = false;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop({ timeoutMs: 0 })));
    for (const un of this.watches) un();
    this.watches.clear();
    this.closed = true;
  }

  private open(): void {
    if (this.closed) throw new TransportError('memory transport is closed', { code: 'CLOSED' });
  }

  async publish(subject: string, data: Uint8Array, options: PublishOptions = {}): Promise<PublishResult> {
    this.open();
    // An id made for this publish has no earlier copy to find, and nothing here sends a copy again: remembering
    // it for the dedup window would only hold one entry per event sent in that window.
    const msgId = options.freshId ? undefined : options.msgId;
    const duplicate = this.hub.publish(this.prefix + subject, data, msgId, options.delayMs ?? 0);
    return { duplicate };
  }

  async consume(subject: string, group: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer> {
    this.open();
    const member: Member = {
      handler,
      write: ({ key, value, revision, listing }) =>
        (revision === undefined
          ? this.hub.kvCreate(this.prefix + key, value, listing, this.prefix)
          : this.hub.kvUpdate(this.prefix + key, value, revision, listing, this.prefix)) !== undefined,
      concurrency: Math.max(1, options.concurrency),
      ackWaitMs: options.ackWaitMs,
      active: 0,
      stopped: false,
      running: new Set(),
      inflight: new Set(),
    };
    const g = this.hub.join(this.prefix + subject, group, member);
    const consumer: Consumer = {
      stop: async ({ timeoutMs = 30_000 } = {}) => {
        if (member.stopped) return;
        member.stopped = true;
        this.consumers.delete(consumer);
        await settledWithin(Promise.all(member.running), timeoutMs);
        // Whatever is still unsettled goes back to the group for another member (or a later start).
        this.hub.leave(g, member);
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  async history(subject: string, limit: number): Promise<HistoryEntry[]> {
    return this.hub.history(this.prefix + subject, limit);
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    return this.hub.deadLetters(this.prefix, limit).map((d) => ({ ...d, subject: d.subject.slice(this.prefix.length) }));
  }

  async deadLetterCount(): Promise<number> {
    return this.hub.deadLetterCount(this.prefix);
  }

  async backlog(subject: string, group: string): Promise<Backlog> {
    return this.hub.backlog(this.prefix + subject, group);
  }

  async broadcast(channel: string, data: Uint8Array): Promise<void> {
    this.open();
    this.hub.broadcast(this.prefix + channel, data);
  }

  async watch(channel: string, listener: (data: Uint8Array, position: Position) => void, options?: WatchOptions): Promise<Watching> {
    this.open();
    const { position, stop } = this.hub.watch(this.prefix + channel, listener, options);
    this.watches.add(stop);
    return watching(() => {
      stop();
      this.watches.delete(stop);
    }, String(position));
  }
}

export function createMemoryTransport(options: MemoryTransportOptions = {}): MemoryTransport {
  return new MemoryTransport(options);
}

/** The factory the runtime uses for `memory://` URLs and `{ kind: 'memory' }` configs. */
export function createTransport(options: MemoryTransportOptions & { url?: string; kind?: string } = {}): Transport {
  const { url: _url, kind: _kind, ...rest } = options;
  return new MemoryTransport(rest);
}
