/**
 * @module
 * The NATS JetStream transport: durable streams, consumer groups shared by
 * any number of processes, a KV bucket for run records, core NATS for
 * run-state broadcasts. Layout on the server: see ./names.ts.
 *
 * @example
 * ```ts
 * import { createNatsTransport } from 'eventide/transports/nats';
 * const runtime = createRuntime({ transport: createNatsTransport({ servers: 'nats://127.0.0.1:4222', namespace: 'shop' }), functions });
 * // or simply: createRuntime({ transport: 'nats://127.0.0.1:4222', namespace: 'shop', functions })
 * ```
 */
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  Events,
  headers,
  nanos,
  nuid,
  StorageType,
  type JetStreamManager,
  type Msg,
  type NatsConnection,
  type Subscription,
} from 'nats';
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
import { ConfigError } from '../../core/errors.js';
import { settledWithin } from '../../core/lib/bounded.js';
import { GroupConsumer, type DeadLetterSink } from './consumer.js';
import { ackError, readAck, requestError } from './errors.js';
import { readBackwards } from './history.js';
import { NatsKVStore } from './kv.js';
import { Publisher } from './publisher.js';
import { consumerName, encodeName, idFromHeader, idToHeader, namesFor, type Names } from './names.js';
import { resolveOptions, type NatsTransportOptions, type ResolvedOptions } from './options.js';
import { DUE_HEADER, SCHEDULER, Scheduler } from './scheduler.js';
import { ensureConsumer, ensureStream, groupConsumerConfig, streamConfigs, subjectStreamConfig } from './setup.js';

export { destroyNamespace } from './setup.js';
export { namesFor, type Names } from './names.js';
export type { NatsTransportOptions } from './options.js';

const MSG_ID = 'Nats-Msg-Id';
const DEAD = { id: 'Eventide-Id', group: 'Eventide-Group', subject: 'Eventide-Subject', reason: 'Eventide-Reason' } as const;

export class NatsTransport implements Transport {
  readonly kind = 'nats';
  readonly durable = true;
  readonly store: KVStore;
  readonly namespace: string;
  private readonly options: ResolvedOptions;
  private readonly names: Names;
  private conn: NatsConnection | undefined;
  private jsm: JetStreamManager | undefined;
  private publisher: Publisher | undefined;
  /**
   * Sends of a process that also consumes go on a connection of their own, so a `send` in a request
   * handler never waits behind the worker's KV writes, acks and pulls on the main connection.
   */
  private sender: { nc: NatsConnection; publisher: Publisher } | undefined;
  private opening: Promise<void> | undefined;
  private connecting: Promise<void> | undefined;
  private scheduler: Promise<Scheduler> | undefined;
  private readonly consumers = new Set<GroupConsumer>();
  private readonly watches = new Set<Subscription>();
  /** Durable subject → its address, once its stream is known to exist. */
  private readonly subjects = new Map<string, string>();
  private readonly preparing = new Map<string, Promise<string>>();
  private readonly channels = new Map<string, string>();

  constructor(options: NatsTransportOptions = {}) {
    this.options = resolveOptions(options);
    this.namespace = this.options.namespace;
    this.names = namesFor(this.namespace);
    this.store = new NatsKVStore({
      nc: () => this.nc(),
      jsm: () => {
        this.nc();
        return this.jsm as JetStreamManager;
      },
      names: this.names,
      timeoutMs: this.options.publishTimeoutMs,
      request: (subject, data, h, label) => {
        const publisher = this.publisher;
        return publisher ? publisher.request(subject, data, h, label) : Promise.reject(notConnected());
      },
    });
  }

  /** The live connection, for tools and tests that want to look at the server directly. */
  get connection(): NatsConnection | undefined {
    return this.conn;
  }

  connect(): Promise<void> {
    if (this.connecting) return this.connecting;
    if (this.conn && !this.conn.isClosed()) return Promise.resolve();
    return (this.connecting = this.open().finally(() => (this.connecting = undefined)));
  }

  private async open(): Promise<void> {
    const servers = this.options.connection.servers;
    let nc: NatsConnection;
    try {
      nc = await connect(this.options.connection);
    } catch (e) {
      throw new TransportError(`NATS transport: cannot connect to ${String(servers)}: ${(e as Error).message}`, {
        cause: e,
        code: 'CONNECT',
      });
    }
    try {
      this.jsm = await nc.jetstreamManager();
    } catch (e) {
      await nc.close().catch(() => undefined);
      throw new TransportError(
        `NATS transport: JetStream is not available on ${String(servers)} (start nats-server with -js): ${(e as Error).message}`,
        { cause: e, code: 'NO_JETSTREAM' },
      );
    }
    this.conn = nc;
    this.publisher = new Publisher(nc, this.options.publishTimeoutMs);
    try {
      await this.ensureStreams();
    } catch (e) {
      this.publisher.close();
      this.publisher = undefined;
      this.conn = undefined;
      await nc.close().catch(() => undefined);
      throw requestError(e, `setting up namespace "${this.namespace}"`, this.options.publishTimeoutMs);
    }
    void this.followStatus(nc);
  }

  private async ensureStreams(): Promise<void> {
    const jsm = this.jsm as JetStreamManager;
    const r = this.options.retention;
    const configs = streamConfigs(this.names, r);
    for (const subject of this.subjects.keys()) configs.push(subjectStreamConfig(this.names, subject, r));
    await Promise.all(configs.map((c) => ensureStream(jsm, c)));
    await this.nc()
      .jetstream()
      .views.kv(this.names.bucket, {
        history: 1,
        storage: r.storage === 'memory' ? StorageType.Memory : StorageType.File,
        replicas: r.replicas,
      });
  }

  /** Pull requests die with a connection: after a reconnect every consumer asks again, and the namespace is re-checked (memory storage loses it on a restart). */
  private async followStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === Events.Disconnect) this.publisher?.disconnected();
      if (s.type !== Events.Reconnect) continue;
      this.publisher?.reconnected();
      for (const c of this.consumers) c.reset();
      this.scheduler?.then((s) => s.reset()).catch(() => undefined);
      this.ensureStreams().catch(() => undefined);
    }
  }

  private nc(): NatsConnection {
    const nc = this.conn;
    if (!nc || nc.isClosed()) throw notConnected();
    return nc;
  }

  /** The address of a durable subject, creating its stream on first use (a subject's stream exists before anything is published to it). */
  private prepare(subject: string): Promise<string> {
    let ready = this.preparing.get(subject);
    if (ready === undefined) {
      ready = (async () => {
        if (this.channels.has(subject)) throw sharedName(subject);
        const config = subjectStreamConfig(this.names, subject, this.options.retention);
        try {
          await ensureStream(this.jsm as JetStreamManager, config);
        } catch (e) {
          throw requestError(e, `creating the stream of "${subject}"`, this.options.publishTimeoutMs);
        }
        const address = this.names.subject(subject);
        this.subjects.set(subject, address);
        return address;
      })();
      this.preparing.set(subject, ready);
      ready.catch(() => this.preparing.delete(subject));
    }
    return ready;
  }

  publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<PublishResult> {
    const publisher = this.publisher;
    if (!publisher) return Promise.reject(notConnected());
    const address = this.subjects.get(subject);
    if (address === undefined) return this.prepare(subject).then(() => this.publish(subject, data, options));
    const msgId = options?.msgId;
    const delayMs = options?.delayMs;
    const topic = options?.topic;
    try {
      const h = headers();
      // Always an id: a publish re-sent after a reconnect must not be stored twice.
      h.set(MSG_ID, msgId === undefined ? nuid.next() : idToHeader(msgId));
      let target = topic === undefined ? address : `${address}.${encodeName(topic)}`;
      if (delayMs !== undefined && delayMs > 0) {
        // The scheduler moves it back to `<ns>.` + what follows the delayed prefix.
        target = this.names.delayedPrefix + target.slice(this.names.root.length);
        h.set(DUE_HEADER, String(Date.now() + delayMs));
      }
      return (this.sender?.publisher ?? publisher).request(target, data, h, `publish to "${subject}"`).then(publishResult);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private openSender(): Promise<void> {
    return (this.opening ??= (async () => {
      let nc: NatsConnection;
      try {
        nc = await connect(this.options.connection);
      } catch {
        return; // sends stay on the main connection
      }
      const publisher = new Publisher(nc, this.options.publishTimeoutMs);
      if (!this.conn) {
        publisher.close();
        await nc.close().catch(() => undefined);
        return;
      }
      this.sender = { nc, publisher };
      void (async () => {
        for await (const st of nc.status()) {
          if (st.type === Events.Disconnect) publisher.disconnected();
          if (st.type === Events.Reconnect) publisher.reconnected();
        }
      })();
    })());
  }

  async consume(subject: string, group: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer> {
    const nc = this.nc();
    await this.prepare(subject);
    await this.openSender();
    const jsm = this.jsm as JetStreamManager;
    const stream = this.names.stream(subject);
    const durable = consumerName(subject, group);
    const config = groupConsumerConfig(durable, options.ackWaitMs);
    const what = `consumer group "${group}" on "${subject}"`;
    try {
      await ensureConsumer(jsm, stream, config);
      await this.startScheduler();
    } catch (e) {
      throw requestError(e, `creating ${what}`, this.options.publishTimeoutMs);
    }
    const recreate = async () => {
      await this.ensureStreams();
      await ensureConsumer(jsm, stream, config);
    };
    const consumer = new GroupConsumer(
      nc,
      stream,
      durable,
      subject,
      group,
      handler,
      options.concurrency,
      recreate,
      this.deadLetterSink,
      (c) => this.consumers.delete(c),
      this.store,
    );
    this.consumers.add(consumer);
    return consumer;
  }

  /** Delayed messages move only while some process consumes; the first consume of a transport starts its share of that work. */
  private startScheduler(): Promise<Scheduler> {
    return (this.scheduler ??= (async () => {
      const jsm = this.jsm as JetStreamManager;
      const ensure = () =>
        ensureConsumer(jsm, this.names.delayed, {
          durable_name: SCHEDULER,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: nanos(30_000),
          max_deliver: -1,
          // Every waiting delayed message is ack-pending between its NAKs.
          max_ack_pending: -1,
        });
      await ensure();
      return new Scheduler(this.nc(), this.publisher as Publisher, this.names, async () => {
        await this.ensureStreams();
        await ensure();
      });
    })().catch((e) => {
      this.scheduler = undefined;
      throw e;
    }));
  }

  private readonly deadLetterSink: DeadLetterSink = async (letter) => {
    const h = headers();
    // Dead-lettering the same delivery twice (TERM lost, message came back) stores it once.
    h.set(MSG_ID, letter.dedupId);
    h.set(DEAD.id, encodeURIComponent(letter.id));
    h.set(DEAD.group, encodeURIComponent(letter.group));
    h.set(DEAD.subject, encodeURIComponent(letter.subject));
    h.set(DEAD.reason, encodeURIComponent(letter.reason));
    if (!this.publisher) throw notConnected();
    const ack = readAck(await this.publisher.request(this.names.deadSubject, letter.data, h, 'dead-lettering'));
    if (ack.error) throw ackError(ack, 'dead-lettering');
  };

  async history(subject: string, limit: number): Promise<HistoryEntry[]> {
    const found = await readBackwards(this.nc(), this.names.stream(subject), limit, this.options.publishTimeoutMs);
    return found.map((m) => ({ id: idFromHeader(m.header(MSG_ID) ?? String(m.seq)), data: m.data, at: m.at }));
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    const found = await readBackwards(this.nc(), this.names.dead, limit, this.options.publishTimeoutMs);
    const text = (m: (typeof found)[number], name: string) => decodeURIComponent(m.header(name) ?? '');
    return found.map((m) => ({
      id: text(m, DEAD.id),
      subject: text(m, DEAD.subject),
      group: text(m, DEAD.group),
      reason: text(m, DEAD.reason),
      data: m.data,
      at: m.at,
    }));
  }

  private channelFor(channel: string): string {
    let address = this.channels.get(channel);
    if (address === undefined) {
      if (this.preparing.has(channel)) throw sharedName(channel);
      this.channels.set(channel, (address = this.names.channel(channel)));
    }
    return address;
  }

  async broadcast(channel: string, data: Uint8Array, topic?: string): Promise<void> {
    const address = this.channelFor(channel);
    try {
      this.nc().publish(topic === undefined ? address : `${address}.${encodeName(topic)}`, data);
    } catch (e) {
      throw requestError(e, `broadcast on "${channel}"`, 0);
    }
  }

  async watch(channel: string, listener: (data: Uint8Array) => void): Promise<Unsubscribe> {
    const nc = this.nc();
    const address = this.channelFor(channel);
    const callback = (err: unknown, msg: Msg) => {
      if (err) return;
      try {
        listener(msg.data);
      } catch {
        // A watcher's failure is its own.
      }
    };
    // The channel itself and every topic under it: NATS has no wildcard for "zero or more tokens".
    const subs = [nc.subscribe(address, { callback }), nc.subscribe(`${address}.>`, { callback })];
    for (const sub of subs) this.watches.add(sub);
    // The subscriptions are live on the server once this round trip returns, so a broadcast right after is seen.
    const flushed = nc.flush();
    // A flush that failed in time fails the watch: its subscriptions may not be live.
    if (await settledWithin(flushed, this.options.publishTimeoutMs)) await flushed;
    return () => {
      for (const sub of subs) {
        this.watches.delete(sub);
        sub.unsubscribe();
      }
    };
  }

  async close(): Promise<void> {
    const nc = this.conn;
    if (!nc) return;
    await Promise.all([...this.consumers].map((c) => c.stop({ timeoutMs: 0 })));
    const scheduler = this.scheduler;
    this.scheduler = undefined;
    await scheduler?.then((s) => s.stop()).catch(() => undefined);
    for (const sub of this.watches) sub.unsubscribe();
    this.watches.clear();
    this.publisher?.close();
    this.publisher = undefined;
    this.conn = undefined;
    const sender = this.sender;
    this.sender = undefined;
    this.opening = undefined;
    if (sender) {
      sender.publisher.close();
      await settledWithin(sender.nc.drain(), this.options.publishTimeoutMs);
      if (!sender.nc.isClosed()) await sender.nc.close().catch(() => undefined);
    }
    if (nc.isClosed()) return;
    // Drain flushes the last acks and NAKs; a server that is down cannot be drained, so bound it.
    await settledWithin(nc.drain(), this.options.publishTimeoutMs);
    if (!nc.isClosed()) await nc.close().catch(() => undefined);
  }
}

function publishResult(msg: Msg): PublishResult {
  const ack = readAck(msg);
  if (ack.error || !ack.stream) throw ackError(ack, 'publish');
  return { duplicate: ack.duplicate === true };
}

function sharedName(name: string): ConfigError {
  return new ConfigError(
    `NATS transport: "${name}" is used both as a durable subject and as a broadcast channel; both live under <ns>.${name}, so pick two names`,
  );
}

function notConnected(): TransportError {
  return new TransportError('NATS transport is not connected: call connect() first (or it was closed)', { code: 'CLOSED' });
}

export function createNatsTransport(options: NatsTransportOptions = {}): NatsTransport {
  return new NatsTransport(options);
}

/** The factory the runtime uses for `nats://` URLs and `{ kind: 'nats' }` configs. */
export function createTransport(options: NatsTransportOptions & { url?: string; kind?: string } = {}): Transport {
  return new NatsTransport(options);
}
