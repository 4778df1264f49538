/**
 * @module
 * The transport seam: everything the core needs from a message system, and
 * nothing more. Memory, NATS JetStream and Redis each implement this.
 *
 * What it covers:
 * - durable `publish` of opaque bytes on a subject, deduplicated by `msgId`,
 *   optionally delayed;
 * - `consume` of a subject by a named group: every group sees every message,
 *   members of one group share them; each delivery is acked, retried after a
 *   delay, or dead-lettered, and comes back to a live consumer when its
 *   handler neither settles nor signs life (`working()`) within `ackWaitMs`;
 * - a key-value `store` with compare-and-set for run records;
 * - `slots` and `rates` (transport-limits.ts): the state behind limits that
 *   hold across processes, kept where every worker of the namespace sees it;
 * - `indexes` (transport-index.ts): sorted listings of stored values, moved
 *   with the writes that carry them, paged from a cursor (run queries);
 * - `history` of a subject, newest first, so events can be listed as facts;
 * - `backlog` of a group and the count of dead letters, for metrics;
 * - `broadcast` / `watch` for run-state changes (each broadcast may name a
 *   topic, the function it is about; a watch sees every topic). Each
 *   broadcast gets a position in its channel, and a watch may resume after
 *   one: what was broadcast since is replayed from a bounded window, then the
 *   watch goes live, with no gap and no duplicate at the junction. A position
 *   that has left the window is reported (`onGap`), never passed over in
 *   silence.
 *
 * What it deliberately leaves out: functions, runs, steps, retries policy,
 * fan-out, encoding. Those live in `core/` once, above this seam. A transport
 * only ever sees bytes and the subject/group/key names the core gives it; it
 * prefixes them with its namespace so apps and tests can share a server.
 */
import type { Clock } from './clock.js';
import type { Indexes, Listing } from './transport-index.js';
import type { Rates, Slots } from './transport-limits.js';

export type { Indexes, Listing } from './transport-index.js';
export type { Rates, SlotWaiter, Slots } from './transport-limits.js';

/** Revision of a stored value; compare-and-set compares it. */
export type Revision = number;

export interface PublishOptions {
  /** Deduplication id: publishing the same id again is accepted but not delivered twice. */
  msgId?: string;
  /** Deliver no earlier than this many milliseconds from now. */
  delayMs?: number;
  /**
   * What the message is about (the core passes the event's name). A transport may
   * put it in the message's address so operators can find or filter by it; every
   * group of the subject still gets every message, whatever its topic.
   */
  topic?: string;
  /**
   * `msgId` was made for this publish and never used before (the runtime's own
   * event ids). Deduplication then has nothing to find but a copy the
   * transport itself sent again after a lost reply, so a transport may skip
   * its dedup bookkeeping for it: the core treats a second copy of an event it
   * is already running as a duplicate, not as a takeover.
   */
  freshId?: boolean;
}

export interface PublishResult {
  /** True when `msgId` was seen before and the message was not enqueued again. */
  duplicate: boolean;
}

export interface Delivery {
  /** The message id given at publish time (or one the transport assigned). */
  readonly id: string;
  readonly subject: string;
  readonly data: Uint8Array;
  /** 1 for the first delivery, counting every redelivery and retry. */
  readonly deliveryCount: number;
  /**
   * Done: never deliver again. With `write`, the store value is written
   * (compare-and-set, as `store.create` / `store.update`) together with the
   * ack: atomically where the transport can (Redis: one script), else write
   * first, then ack. When the write loses, nothing is settled and it
   * resolves false.
   */
  ack(write?: StoreWrite): Promise<boolean>;
  /** Hand back and deliver again (to any member of the group) after `delayMs`; `write` as for `ack`. */
  retry(delayMs: number, write?: StoreWrite): Promise<boolean>;
  /** Move to the dead-letter store with a reason; never deliver again. */
  deadLetter(reason: string): Promise<void>;
  /** Sign of life: restart the ack-wait clock for this delivery. */
  working(): Promise<void>;
}

export type DeliveryHandler = (delivery: Delivery) => unknown;

export interface ConsumeOptions {
  /** Most deliveries of this consumer whose handlers run at once. */
  concurrency: number;
  /** A delivery not settled and not `working()` for this long is redelivered. */
  ackWaitMs: number;
}

export interface Consumer {
  /**
   * Stop taking new deliveries, wait (up to `timeoutMs`) for handlers in
   * flight, and hand back whatever is still unsettled so another consumer
   * gets it. Nothing is lost.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

export interface DeadLetter {
  id: string;
  subject: string;
  group: string;
  reason: string;
  data: Uint8Array;
  /** Epoch milliseconds when it was dead-lettered. */
  at: number;
}

export interface HistoryEntry {
  id: string;
  data: Uint8Array;
  /** Epoch milliseconds when the transport accepted it. */
  at: number;
}

/** What a group has yet to settle of a subject, by where each message is. */
export interface Backlog {
  /** Due now and not yet handed to a member of the group. */
  ready: number;
  /** Not due yet: delayed publishes and retries waiting out their delay (where the transport tells them apart from `inFlight`). */
  delayed: number;
  /** Handed to a member and not yet settled. */
  inFlight: number;
}

export interface StoredValue {
  value: Uint8Array;
  revision: Revision;
}

export interface WriteOptions {
  /**
   * Delete the value this long after this write. A later write sets its own
   * expiry, or none (the value stays for good). Honoured only by stores whose
   * `expires` is true; others ignore it.
   */
  expireMs?: number;
  /** Where the value is listed after this write (see transport-index.ts); absent: as before. */
  listing?: Listing;
}

/** A compare-and-set write that travels with a settlement: `revision` undefined creates, a number updates. */
export interface StoreWrite extends WriteOptions {
  key: string;
  value: Uint8Array;
  revision?: Revision;
}

export interface KVStore {
  /** True when the store deletes values by `expireMs` itself, durably (the core then needs no timer of its own). */
  readonly expires?: boolean;
  get(key: string): Promise<StoredValue | undefined>;
  /** Create only if absent; `undefined` when the key exists. */
  create(key: string, value: Uint8Array, options?: WriteOptions): Promise<Revision | undefined>;
  /** Replace only if still at `revision`; `undefined` on conflict. */
  update(key: string, value: Uint8Array, revision: Revision, options?: WriteOptions): Promise<Revision | undefined>;
  /** Deletes the value and its listing. */
  delete(key: string): Promise<void>;
  /** Keys that start with `prefix`, in no particular order. */
  keys(prefix: string): Promise<string[]>;
}

export type Unsubscribe = () => void | Promise<void>;

/**
 * Where a broadcast sits in its channel: opaque to the core, increasing in
 * the order broadcasts are seen (each transport's is a decimal counter:
 * consecutive on memory, NATS and Redis, rising on SQLite).
 */
export type Position = string;

/** Broadcasts after a watcher's position that it will never see: they left the window, or the position is not this channel's. */
export interface WatchGap {
  /** The position the watcher had: the one it resumed after, or the last it was given. */
  after: Position;
  /** 'expired': some broadcasts after it left the window; 'unknown': no broadcast of this channel ever had it (another namespace or server, or the channel was deleted since). */
  reason: 'expired' | 'unknown';
}

/**
 * From where a watch starts: without `after`, with the next broadcast; with
 * it, with the first broadcast after it still held, and then live. Resuming
 * needs `onGap`: it is told, before any broadcast that follows a gap, that
 * some are missing (also when a watcher falls behind the window later on).
 */
export type WatchOptions = { after?: undefined; onGap?: (gap: WatchGap) => void } | { after: Position; onGap: (gap: WatchGap) => void };

/** What `watch` resolves to: call it to stop. `position` is where the watch began: `after`, or the channel's newest position then. */
export type Watching = Unsubscribe & { readonly position: Position };

/** Makes the value `watch` resolves to. */
export function watching(stop: Unsubscribe, position: Position): Watching {
  return Object.assign(() => stop(), { position });
}

/**
 * A transport named by configuration instead of given as an instance: the
 * `kind` picks the transport, every other field is that transport's option.
 */
export interface TransportConfig {
  kind: string;
  namespace?: string;
  url?: string;
}

/** What `createRuntime({ transport })` takes: a URL (`redis://…`), a config object, or a Transport. */
export type TransportOption = string | TransportConfig | Transport;

/**
 * Turns a URL or config into a transport. The core knows no transport by
 * name: the package entry hands the runtime a resolver that does.
 */
export interface TransportResolver {
  /** Reads a URL or config without loading anything, so that a typo fails at `createRuntime`, not at `start`. */
  parse(option: string | TransportConfig | undefined): TransportConfig;
  /** Loads the transport (lazily: the NATS and Redis clients load only for apps that use them) and makes one. */
  create(config: TransportConfig, defaults: TransportDefaults): Promise<Transport>;
}

/** What the runtime adds to a config it resolves: its namespace, and its clock for transports that keep time themselves. */
export interface TransportDefaults {
  namespace: string;
  clock: Clock;
}

export function isTransport(value: unknown): value is Transport {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (value as Transport).publish === 'function' &&
    typeof (value as Transport).consume === 'function'
  );
}

export interface Transport {
  /** Short name for messages and logs: 'memory', 'nats', 'redis'. */
  readonly kind: string;
  /** True when accepted messages and stored values survive a process crash. */
  readonly durable: boolean;
  connect(): Promise<void>;
  close(): Promise<void>;
  publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<PublishResult>;
  consume(subject: string, group: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer>;
  readonly store: KVStore;
  /** Leased slots with parked waiters, for limits that hold across processes (`concurrency`). */
  readonly slots: Slots;
  /** Start schedules per key, for `throttle` (and rate limits). */
  readonly rates: Rates;
  /** Sorted listings of stored values, paged from a cursor (`listRuns`). */
  readonly indexes: Indexes;
  /** Most recent messages of a subject, newest first (bounded by the transport's retention). */
  history(subject: string, limit: number): Promise<HistoryEntry[]>;
  deadLetters(limit: number): Promise<DeadLetter[]>;
  /** How many dead letters the namespace holds. */
  deadLetterCount(): Promise<number>;
  /** What `group` has yet to settle of `subject` (zeros for a group not made yet). For metrics: read at scrape time, not per message. */
  backlog(subject: string, group: string): Promise<Backlog>;
  /**
   * Appends to the channel's window (see WatchOptions). `topic`, like a publish's, may go into the
   * broadcast's address; it never narrows who sees it.
   */
  broadcast(channel: string, data: Uint8Array, topic?: string): Promise<void>;
  /** Hands `listener` each broadcast with its position, in order; resolves once it is live (see WatchOptions). */
  watch(channel: string, listener: (data: Uint8Array, position: Position) => void, options?: WatchOptions): Promise<Watching>;
}

/** Thrown by a transport when it refuses work it cannot hold (queue limits, closed connection). */
export class TransportError extends Error {
  override readonly name = 'TransportError' as const;
  readonly code: string;
  constructor(message: string, options?: ErrorOptions & { code?: string }) {
    super(message, options);
    this.code = options?.code ?? 'TRANSPORT';
  }
}
