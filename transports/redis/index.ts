/**
 * @module
 * The Redis transport: the seam on Redis Streams (messages, consumer groups),
 * sorted sets (delays, retries), hashes (the store), capped streams
 * (broadcasts), pub/sub (wake-ups of delayed work), and scripts over sorted
 * sets for limits (slots.ts, rates.ts).
 * Every key of a namespace shares one hash tag, so it runs on a single Redis,
 * with replicas, or on Redis Cluster (each namespace lives in one slot).
 *
 * Durability is Redis's: with `appendonly yes` and `appendfsync always` a
 * publish that resolved survives a Redis crash; with `everysec` up to a
 * second of acknowledged work can be lost; without AOF, everything since the
 * last snapshot.
 *
 * @example
 * ```ts
 * import { createRedisTransport } from 'eventide/transports/redis';
 * const runtime = createRuntime({ transport: createRedisTransport({ url: 'redis://127.0.0.1:6379', namespace: 'app' }), functions });
 * // or simply: createRuntime({ transport: 'redis://127.0.0.1:6379', namespace: 'app', functions })
 * ```
 */
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
  Slots,
  Position,
  Transport,
  WatchOptions,
  Watching,
} from '../../core/transport.js';
import { TransportError, watching } from '../../core/transport.js';
import { readBacklog } from './backlog.js';
import { BroadcastWatch } from './broadcasts.js';
import { settledWithin } from '../../core/lib/bounded.js';
import { connectFailure } from '../shared/urls.js';
import { address, closeConnection, openCommandConnection, transportError, type RedisClient } from './connection.js';
import { RedisConsumer } from './consumer.js';
import { readDeadLetters, readHistory } from './history.js';
import { Keys } from './keys.js';
import { resolveOptions, type RedisTransportOptions, type ResolvedOptions } from './options.js';
import { Publisher } from './publisher.js';
import { RedisRates } from './rates.js';
import type { ScriptedRedis } from './scripts/index.js';
import { RedisSlots } from './slots.js';
import { asBuffer, RedisKVStore, redisIndexes } from './store.js';
import { Subscriptions } from './subscriptions.js';

export { destroyNamespace } from './cleanup.js';
export { validateNamespace } from './keys.js';
export type { RedisTransportOptions } from './options.js';

export class RedisTransport implements Transport {
  readonly kind = 'redis';
  readonly durable = true;
  readonly store: KVStore;
  readonly slots: Slots;
  readonly rates: Rates;
  readonly indexes: Indexes;
  readonly namespace: string;
  private readonly keys: Keys;
  private readonly options: ResolvedOptions;
  private readonly cmd: ScriptedRedis;
  private readonly publisher: Publisher;
  private readonly subs: Subscriptions;
  private readonly consumers = new Set<RedisConsumer>();
  private readonly watches = new Set<BroadcastWatch>();
  private readonly commandTimeoutMs: number;
  private wakeOff: (() => Promise<void>) | undefined;
  private closed = false;

  constructor(options: RedisTransportOptions = {}) {
    this.keys = new Keys(options.namespace ?? 'eventide');
    this.namespace = this.keys.namespace;
    const o = (this.options = resolveOptions(options));
    this.commandTimeoutMs = o.connection.commandTimeoutMs;
    this.cmd = openCommandConnection(o.input, o.connection);
    this.publisher = new Publisher(this.cmd, this.keys, o.publish, (wakeName, delayMs) => this.wakeLocal(wakeName, delayMs));
    this.subs = new Subscriptions(this.cmd);
    this.store = new RedisKVStore(this.cmd, this.keys, this.commandTimeoutMs);
    this.slots = new RedisSlots(this.cmd, this.keys, { commandTimeoutMs: this.commandTimeoutMs, maxLen: o.publish.maxLen });
    this.rates = new RedisRates(this.cmd, this.keys, this.commandTimeoutMs);
    this.indexes = redisIndexes(this.cmd, this.keys, this.commandTimeoutMs);
  }

  /** The command connection (for benchmarks and diagnostics; do not send blocking commands on it). */
  get client(): RedisClient {
    return this.cmd;
  }

  async connect(): Promise<void> {
    this.closed = false;
    if (this.cmd.status === 'ready') return;
    if (this.cmd.status === 'wait' || this.cmd.status === 'end') {
      await this.firstConnect();
      return;
    }
    // Already connecting or reconnecting: wait for it, but no longer than a command would.
    await this.cmd.ping().catch((err) => {
      throw transportError(err, `connect to ${this.options.where}`, this.commandTimeoutMs);
    });
  }

  /**
   * Connects and waits for Redis to answer, within connectTimeoutMs. ioredis reports only "Connection is
   * closed" when a connection fails; the socket's own error, which says refused or timed out, comes as an
   * 'error' event, so it is caught here to say which, and where.
   */
  private async firstConnect(): Promise<void> {
    const { connectTimeoutMs } = this.options.connection;
    let socketError: unknown;
    const onError = (err: unknown) => (socketError ??= err);
    this.cmd.on('error', onError);
    const answered = (async () => {
      await this.cmd.connect();
      // A server that accepts and never answers leaves the ready check waiting on commandTimeoutMs; a PING says it answers.
      await this.cmd.ping();
    })();
    answered.catch(() => {});
    // No answer in time, or the ready check's commands timing out: either way Redis did not answer.
    const silence = Object.assign(new Error('no answer'), { code: 'CONNECT_TIMEOUT' });
    let failure: unknown = silence;
    try {
      if (await settledWithin(answered, connectTimeoutMs)) {
        await answered;
        return;
      }
    } catch (err) {
      failure = socketError ?? err;
      if (failure instanceof Error && failure.message === 'Command timed out') failure = silence;
    } finally {
      this.cmd.off('error', onError);
    }
    // Stop the reconnect loop: the caller decides whether to try again.
    this.cmd.disconnect();
    const where = address(this.options.input);
    const why = connectFailure(failure, 'Redis', where, connectTimeoutMs);
    throw new TransportError(`redis transport: cannot connect to ${this.options.where}: ${why.text}`, {
      cause: failure,
      code: why.code ?? 'UNAVAILABLE',
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.stop({ timeoutMs: 0 })));
    await Promise.all([...this.watches].map((w) => w.stop()));
    this.watches.clear();
    this.wakeOff = undefined;
    await this.subs.close();
    await this.publisher.close();
    await closeConnection(this.cmd);
  }

  private open(): void {
    if (this.closed) throw new TransportError('redis transport is closed', { code: 'CLOSED' });
  }

  publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<PublishResult> {
    if (this.closed) return Promise.reject(new TransportError('redis transport is closed', { code: 'CLOSED' }));
    return this.publisher.publish(subject, data, options);
  }

  async consume(subject: string, group: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer> {
    this.open();
    if (!group) throw new TypeError('redis transport: consume needs a group name');
    // Sends of a process that also consumes must not queue behind the worker's commands.
    this.publisher.useOwnConnection(() => openCommandConnection(this.options.input, this.options.connection));
    await this.listenForWakes();
    const consumer = new RedisConsumer(this.cmd, this.keys, subject, group, handler, options, this.options.consumer, (c) =>
      this.consumers.delete(c),
    );
    await consumer.start();
    this.consumers.add(consumer);
    return consumer;
  }

  /** Delayed publishes from other processes announce themselves so consumers need not poll for them. */
  private async listenForWakes(): Promise<void> {
    if (this.wakeOff) return;
    this.wakeOff = await this.subs.add(this.keys.wake, (message) => {
      const text = message.toString();
      const colon = text.indexOf(':');
      this.wakeLocal(text.slice(colon + 1), Number(text.slice(0, colon)));
    });
  }

  private wakeLocal(wakeName: string, delayMs: number): void {
    for (const c of this.consumers) if (this.keys.subject(c.subject).wakeName === wakeName) c.wakeIn(delayMs);
  }

  history(subject: string, limit: number): Promise<HistoryEntry[]> {
    return readHistory(this.cmd, this.keys, subject, limit, this.commandTimeoutMs);
  }

  deadLetters(limit: number): Promise<DeadLetter[]> {
    return readDeadLetters(this.cmd, this.keys.deadLetters, limit, this.commandTimeoutMs);
  }

  async deadLetterCount(): Promise<number> {
    return this.cmd.xlen(this.keys.deadLetters).catch((err) => {
      throw transportError(err, 'deadLetterCount', this.commandTimeoutMs);
    });
  }

  backlog(subject: string, group: string): Promise<Backlog> {
    return readBacklog(this.cmd, this.keys.subject(subject), this.keys.group(subject, group), group).catch((err) => {
      throw transportError(err, `backlog(${JSON.stringify(subject)}, ${JSON.stringify(group)})`, this.commandTimeoutMs);
    });
  }

  async broadcast(channel: string, data: Uint8Array): Promise<void> {
    this.open();
    await this.cmd
      .xadd(this.keys.channel(channel), 'MAXLEN', '~', this.options.broadcastMaxLen, '0-*', 'd', asBuffer(data))
      .catch((err) => {
        throw transportError(err, `broadcast(${JSON.stringify(channel)})`, this.commandTimeoutMs);
      });
  }

  async watch(channel: string, listener: (data: Uint8Array, position: Position) => void, options?: WatchOptions): Promise<Watching> {
    this.open();
    const what = `watch(${JSON.stringify(channel)})`;
    const { blockMs, onError } = this.options.consumer;
    const w = new BroadcastWatch(
      this.cmd,
      this.keys.channel(channel),
      listener,
      blockMs,
      (err) => onError(transportError(err, what, this.commandTimeoutMs)),
      options,
    );
    let position: number;
    try {
      position = await w.start();
    } catch (err) {
      await w.stop();
      throw transportError(err, what, this.commandTimeoutMs);
    }
    this.watches.add(w);
    return watching(async () => {
      this.watches.delete(w);
      await w.stop();
    }, String(position));
  }
}

export function createRedisTransport(options: RedisTransportOptions = {}): RedisTransport {
  return new RedisTransport(options);
}

/** The factory the runtime uses for `redis://` URLs and `{ kind: 'redis' }` configs. */
export function createTransport(options: RedisTransportOptions & { kind?: string } = {}): Transport {
  const { kind: _kind, ...rest } = options;
  return new RedisTransport(rest);
}
