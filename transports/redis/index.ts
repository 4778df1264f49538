/**
 * @module
 * The Redis transport: the seam on Redis Streams (messages, consumer groups),
 * sorted sets (delays, retries), hashes (the store), capped streams
 * (broadcasts) and pub/sub (wake-ups of delayed work).
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
import { randomUUID } from 'node:crypto';
import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import type {
  Consumer,
  ConsumeOptions,
  DeadLetter,
  DeliveryHandler,
  HistoryEntry,
  KVStore,
  PublishOptions,
  PublishResult,
  Transport,
  Unsubscribe,
} from '../../core/transport.js';
import { TransportError } from '../../core/transport.js';
import { numberOption } from '../../core/lib/checks.js';
import {
  closeConnection,
  describe,
  openCommandConnection,
  transportError,
  type RedisClient,
  type RedisConnectionInput,
} from './connection.js';
import { RedisConsumer, type ConsumerSettings } from './consumer.js';
import { Keys } from './keys.js';
import { Published } from './scripts/codes.js';
import type { ScriptedRedis } from './scripts/index.js';
import { packItems } from './scripts/items.js';
import { BroadcastWatch } from './broadcasts.js';
import { asBuffer, RedisKVStore } from './store.js';
import { fieldMap } from './streams.js';
import { Subscriptions } from './subscriptions.js';
import { TickBatch } from './tick-batch.js';

export { destroyNamespace } from './cleanup.js';
export { validateNamespace } from './keys.js';

export interface RedisTransportOptions {
  /**
   * `redis://[:password@]host:port[/db]` or `rediss://…`. Default redis://127.0.0.1:6379. For a Redis
   * Cluster, `redis+cluster://[user:password@]host:port,host:port` (`rediss+cluster://` for TLS), or `cluster`.
   */
  url?: string;
  /**
   * ioredis options (with `cluster`: each node's), or a client used as the template of the
   * transport's own connections (it is duplicated, not shared): a `Redis`, or a `Cluster`.
   */
  redis?: RedisOptions | Redis | Cluster;
  /**
   * Seed nodes of a Redis Cluster (`'redis://host:port'`, `'host:port'` or `{ host, port }`), instead
   * of `url`. The transport learns the other nodes and follows its namespace's slot to whichever
   * master holds it (MOVED, ASK), across resharding and failover.
   */
  cluster?: ClusterNode[];
  /** Prefix (and Redis Cluster hash tag) of every key: letters, digits, '_' and '-'. Default 'eventide'. */
  namespace?: string;
  /**
   * Entries each subject stream keeps as history (approximately: trimmed in
   * steps). Entries a group has not read or not acked are never trimmed, so a
   * lagging consumer holds history longer rather than losing messages.
   * 0 keeps everything. Default 10 000.
   */
  maxLen?: number;
  /**
   * Broadcasts (run-state changes, cancels) kept per channel, approximately: a
   * watcher that reconnects catches up on what it missed as long as it is
   * still in the stream. An entry is one broadcast (the runtime sends one per
   * function every few milliseconds, up to a few KB under load), so the
   * default, 1 000, holds seconds of a busy worker's changes and minutes of a
   * quiet one's, in a few MB at most.
   */
  broadcastMaxLen?: number;
  /** A command Redis does not answer within this is rejected with a TransportError (code 'TIMEOUT'). Default 5000. */
  commandTimeoutMs?: number;
  /** How long a msgId is remembered for deduplication (one small key per message id). Default 2 minutes. 0 turns dedup off. */
  dedupWindowMs?: number;
  /** Dead letters kept (approximately). Default 10 000. */
  maxDeadLetters?: number;
  /**
   * ioredis enableAutoPipelining: batch commands issued in the same tick. Default false: it
   * defers each batch to setImmediate (+~70 µs per send at low load) and Node already
   * coalesces socket writes under load; acks are batched by the transport itself.
   */
  autoPipelining?: boolean;
  /** Longest a consumer's blocking read waits before it is issued again. Default 5000. */
  blockMs?: number;
  /** Longest a consumer sleeps between looks at its due entries when nobody woke it. Default 5000. */
  moverMaxWaitMs?: number;
  /** Background failures (a consumer cannot read, a hand-back failed); they are retried. Default: ignored. */
  onError?: (err: Error) => void;
}

interface Outgoing {
  data: Buffer;
  /** '' when none. */
  msgId: string;
  delay: number;
  /** Dedup window in ms; 0 for none. */
  window: number;
}

/** What every numeric option's error says: where it was given, and that it counts milliseconds or entries. */
const numeric = { where: 'redis transport', unit: 'milliseconds or entries' } as const;

const DUPLICATE: PublishResult = Object.freeze({ duplicate: true });
const ACCEPTED: PublishResult = Object.freeze({ duplicate: false });

export class RedisTransport implements Transport {
  readonly kind = 'redis';
  readonly durable = true;
  readonly store: KVStore;
  readonly namespace: string;
  private readonly keys: Keys;
  private readonly cmd: ScriptedRedis;
  /**
   * Publishes of a process that also consumes go on a connection of their own, so a `send` in a
   * request handler never queues behind the worker's record writes and acks on the command
   * connection (head-of-line blocking measured 5–20 ms per send under load).
   */
  private pub: ScriptedRedis | undefined;
  private readonly openPublisher: () => ScriptedRedis;
  private readonly subs: Subscriptions;
  private readonly publishes = new Map<string, TickBatch<Outgoing, number>>();
  private readonly consumers = new Set<RedisConsumer>();
  private readonly watches = new Set<BroadcastWatch>();
  private readonly where: string;
  private readonly commandTimeoutMs: number;
  private readonly dedupWindowMs: number;
  private readonly maxLen: number;
  private readonly trimSlack: number;
  private readonly broadcastMaxLen: number;
  private sinceTrimCheck = 0;
  private readonly settings: ConsumerSettings;
  private wakeOff: (() => Promise<void>) | undefined;
  private closed = false;

  constructor(options: RedisTransportOptions = {}) {
    this.keys = new Keys(options.namespace ?? 'eventide');
    this.namespace = this.keys.namespace;
    this.commandTimeoutMs = numberOption(options.commandTimeoutMs, { ...numeric, name: 'commandTimeoutMs', fallback: 5000 });
    this.dedupWindowMs = Math.floor(
      numberOption(options.dedupWindowMs, { ...numeric, name: 'dedupWindowMs', fallback: 120_000, zero: true }),
    );
    this.maxLen = Math.floor(numberOption(options.maxLen, { ...numeric, name: 'maxLen', fallback: 10_000, zero: true }));
    this.broadcastMaxLen = numberOption(options.broadcastMaxLen, { ...numeric, name: 'broadcastMaxLen', fallback: 1_000 });
    // Trim in steps of about 1% of the cap (at most 256 entries) so one publish in many pays for it.
    this.trimSlack = Math.max(1, Math.min(256, Math.floor(this.maxLen / 100)));
    const input = connectionInput(options);
    this.where = describe(input);
    this.cmd = openCommandConnection(input, { commandTimeoutMs: this.commandTimeoutMs, autoPipelining: options.autoPipelining ?? false });
    this.openPublisher = () =>
      openCommandConnection(input, { commandTimeoutMs: this.commandTimeoutMs, autoPipelining: options.autoPipelining ?? false });
    this.subs = new Subscriptions(this.cmd);
    this.store = new RedisKVStore(this.cmd, this.keys, this.commandTimeoutMs);
    this.settings = {
      commandTimeoutMs: this.commandTimeoutMs,
      maxDeadLetters: numberOption(options.maxDeadLetters, { ...numeric, name: 'maxDeadLetters', fallback: 10_000 }),
      blockMs: numberOption(options.blockMs, { ...numeric, name: 'blockMs', fallback: 5000 }),
      moverMaxWaitMs: numberOption(options.moverMaxWaitMs, { ...numeric, name: 'moverMaxWaitMs', fallback: 5000 }),
      staleConsumerMs: 60 * 60_000,
      onError: options.onError ?? (() => {}),
    };
  }

  /** The command connection (for benchmarks and diagnostics; do not send blocking commands on it). */
  get client(): RedisClient {
    return this.cmd;
  }

  async connect(): Promise<void> {
    this.closed = false;
    if (this.cmd.status === 'ready') return;
    if (this.cmd.status === 'wait' || this.cmd.status === 'end') {
      try {
        await this.cmd.connect();
      } catch (err) {
        // Stop the reconnect loop: the caller decides whether to try again.
        this.cmd.disconnect();
        throw new TransportError(`redis transport: cannot connect to ${this.where}: ${(err as Error).message}`, {
          cause: err,
          code: 'UNAVAILABLE',
        });
      }
      return;
    }
    // Already connecting or reconnecting: wait for it, but no longer than a command would.
    await this.cmd.ping().catch((err) => {
      throw transportError(err, `connect to ${this.where}`, this.commandTimeoutMs);
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
    const pub = this.pub;
    this.pub = undefined;
    if (pub) await closeConnection(pub);
    await closeConnection(this.cmd);
  }

  private open(): void {
    if (this.closed) throw new TransportError('redis transport is closed', { code: 'CLOSED' });
  }

  publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<PublishResult> {
    if (this.closed) return Promise.reject(new TransportError('redis transport is closed', { code: 'CLOSED' }));
    const k = this.keys.subject(subject);
    const delay = options?.delayMs && options.delayMs > 0 ? Math.ceil(options.delayMs) : 0;
    let msgId = options?.msgId;
    // A fresh id has nothing to meet in the window; a copy ioredis sends again after a lost reply is the core's to spot.
    const dedup = msgId !== undefined && this.dedupWindowMs > 0 && !options?.freshId;
    // A delayed message waits outside the stream, so it needs an id of its own before it has an entry id.
    if (msgId === undefined && delay > 0) msgId = randomUUID();
    const result = this.publishBatch(subject)
      .add({ data: asBuffer(data), msgId: msgId ?? '', delay, window: dedup ? this.dedupWindowMs : 0 })
      .then(
        (r) => (r === Published.duplicate ? DUPLICATE : ACCEPTED),
        (err) => {
          throw transportError(err, `publish to ${JSON.stringify(subject)}`, this.commandTimeoutMs);
        },
      );
    if (delay > 0)
      void result.then(
        () => this.wakeLocal(k.wakeName, delay),
        () => {},
      );
    return result;
  }

  /** Publishes to one subject made in one tick travel as one script call (see TickBatch). */
  private publishBatch(subject: string): TickBatch<Outgoing, number> {
    let batch = this.publishes.get(subject);
    if (batch) return batch;
    const k = this.keys.subject(subject);
    batch = new TickBatch((items) => {
      // A process that also consumes publishes on its own connection (see `pub`).
      const conn = this.pub ?? this.cmd;
      // The stream may grow past maxLen by the slack before a trim is worth it, so only every slack-th publish looks.
      this.sinceTrimCheck += items.length;
      const check = this.maxLen > 0 && this.sinceTrimCheck >= this.trimSlack;
      if (check) this.sinceTrimCheck = 0;
      const lone = items.length === 1 ? items[0] : undefined;
      if (lone && lone.delay === 0 && !check) {
        // Without a marker to set there is nothing to make atomic: a plain XADD (measured alone, it woke a blocked reader ~50 µs sooner than the script).
        if (lone.window === 0)
          return (lone.msgId ? conn.xadd(k.stream, '*', 'i', lone.msgId, 'd', lone.data) : conn.xadd(k.stream, '*', 'd', lone.data)).then(
            () => [Published.accepted],
          );
        return conn.eventidePublishOne(k.stream, k.dedupPrefix + lone.msgId, lone.data, lone.msgId, lone.window).then((r) => [r]);
      }
      const args: (string | Buffer | number)[] = [items.length + 3, k.stream, k.delayed, k.trimWait];
      const values: (string | Buffer)[] = [];
      for (const m of items) {
        args.push(m.window > 0 ? k.dedupPrefix + m.msgId : k.stream);
        values.push(m.data, m.msgId, String(m.delay), String(m.window));
      }
      args.push(check ? this.maxLen : '', this.trimSlack, this.keys.wake, k.wakeName, packItems(values));
      return conn.eventidePublish(...args);
    });
    this.publishes.set(subject, batch);
    return batch;
  }

  async consume(subject: string, group: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer> {
    this.open();
    if (!group) throw new TypeError('redis transport: consume needs a group name');
    if (!this.pub) {
      this.pub = this.openPublisher();
      // Connect now rather than on the first send; a failure here shows up on that send instead.
      this.pub.connect().catch(() => undefined);
    }
    await this.listenForWakes();
    const consumer = new RedisConsumer(this.cmd, this.keys, subject, group, handler, options, this.settings, (c) =>
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

  async history(subject: string, limit: number): Promise<HistoryEntry[]> {
    if (limit <= 0) return [];
    const entries = (await this.cmd
      .xrevrangeBuffer(this.keys.subject(subject).stream, '+', '-', 'COUNT', Math.floor(limit))
      .catch((err) => {
        throw transportError(err, `history(${JSON.stringify(subject)})`, this.commandTimeoutMs);
      })) as [Buffer, Buffer[]][];
    return entries.map(([rawId, fields]) => {
      const entryId = rawId.toString();
      const f = fieldMap(fields);
      return { id: f.i?.toString() ?? entryId, data: f.d ?? Buffer.alloc(0), at: entryTime(entryId) };
    });
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    if (limit <= 0) return [];
    const entries = (await this.cmd.xrevrangeBuffer(this.keys.deadLetters, '+', '-', 'COUNT', Math.floor(limit)).catch((err) => {
      throw transportError(err, 'deadLetters', this.commandTimeoutMs);
    })) as [Buffer, Buffer[]][];
    return entries.map(([rawId, fields]) => {
      const f = fieldMap(fields);
      return {
        id: f.i?.toString() ?? '',
        subject: f.s?.toString() ?? '',
        group: f.g?.toString() ?? '',
        reason: f.r?.toString() ?? '',
        data: f.d ?? Buffer.alloc(0),
        at: entryTime(rawId.toString()),
      };
    });
  }

  async broadcast(channel: string, data: Uint8Array): Promise<void> {
    this.open();
    await this.cmd.xadd(this.keys.channel(channel), 'MAXLEN', '~', this.broadcastMaxLen, '*', 'd', asBuffer(data)).catch((err) => {
      throw transportError(err, `broadcast(${JSON.stringify(channel)})`, this.commandTimeoutMs);
    });
  }

  async watch(channel: string, listener: (data: Uint8Array) => void): Promise<Unsubscribe> {
    this.open();
    const what = `watch(${JSON.stringify(channel)})`;
    const w = new BroadcastWatch(this.cmd, this.keys.channel(channel), listener, this.settings.blockMs, (err) =>
      this.settings.onError(transportError(err, what, this.commandTimeoutMs)),
    );
    try {
      await w.start();
    } catch (err) {
      await w.stop();
      throw transportError(err, what, this.commandTimeoutMs);
    }
    this.watches.add(w);
    return async () => {
      this.watches.delete(w);
      await w.stop();
    };
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

function connectionInput({ url, redis, cluster }: RedisTransportOptions): RedisConnectionInput | undefined {
  const fromUrl = url !== undefined && /^rediss?\+cluster:/i.test(url) ? parseClusterUrl(url) : undefined;
  const seeds = cluster ?? fromUrl?.nodes;
  if (seeds === undefined) return redis ?? url;
  if (cluster !== undefined && (!Array.isArray(cluster) || cluster.length === 0))
    throw new TypeError('redis transport: cluster must be a non-empty list of seed nodes, e.g. ["redis://10.0.0.1:6379"]');
  if (cluster !== undefined && url !== undefined)
    throw new TypeError('redis transport: give url (one server) or cluster (seed nodes of a Redis Cluster), not both');
  if (redis instanceof Redis || redis instanceof Cluster)
    throw new TypeError('redis transport: on a cluster, redis can only be options for each node; a client of your own goes alone in redis');
  return { cluster: seeds, redisOptions: { ...fromUrl?.redisOptions, ...redis } };
}

/**
 * `redis+cluster://[user:password@]host:port,host:port[/]`, or `rediss+cluster://` for TLS: the seed
 * nodes of a cluster in one string, so that a cluster fits where a URL goes (EVENTIDE_TRANSPORT).
 * The credentials are every node's.
 */
function parseClusterUrl(url: string): { nodes: { host: string; port: number }[]; redisOptions: RedisOptions } {
  const shape = 'use redis+cluster://[user:password@]host:port,host:port';
  const m = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#@]+)\/?$/i.exec(url);
  if (!m) throw new TypeError(`redis transport: ${JSON.stringify(describe(url))} is not a cluster URL; ${shape}`);
  const [, scheme, credentials, hosts] = m;
  const nodes = hosts.split(',').map((hostPort) => {
    const at = /^([^:,\s]+)(?::(\d{1,5}))?$/.exec(hostPort.trim());
    const port = Number(at?.[2] ?? 6379);
    if (!at || port < 1 || port > 65535) throw new TypeError(`redis transport: "${hostPort}" in a cluster URL is not host:port; ${shape}`);
    return { host: at[1], port };
  });
  const redisOptions: RedisOptions = {};
  if (credentials) {
    const colon = credentials.indexOf(':');
    const user = decodeURIComponent(colon < 0 ? credentials : credentials.slice(0, colon));
    if (user) redisOptions.username = user;
    if (colon >= 0) redisOptions.password = decodeURIComponent(credentials.slice(colon + 1));
  }
  if (scheme.toLowerCase() === 'rediss') redisOptions.tls = {};
  return { nodes, redisOptions };
}

/** A stream entry id starts with the server time in ms at which Redis accepted it. */
function entryTime(entryId: string): number {
  return Number(entryId.slice(0, entryId.indexOf('-')));
}
