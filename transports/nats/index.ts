/**
 * @module
 * The NATS JetStream transport: durable streams, consumer groups shared by
 * any number of processes, a KV bucket for run records, core NATS for
 * run-state broadcasts (streams with a short max age, so a watch resumes). Layout on the server: see ./names.ts.
 *
 * @example
 * ```ts
 * import { createNatsTransport } from 'eventide/transports/nats';
 * const runtime = createRuntime({ transport: createNatsTransport({ servers: 'nats://127.0.0.1:4222', namespace: 'shop' }), functions });
 * // or simply: createRuntime({ transport: 'nats://127.0.0.1:4222', namespace: 'shop', functions })
 * ```
 */
import { Events, headers, nuid, type JetStreamManager, type Msg, type MsgHdrs, type NatsConnection } from 'nats';
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
import { watching } from '../../core/transport.js';
import { Addresses } from './addresses.js';
import { countDeadLetters, readBacklog } from './backlog.js';
import { NatsBroadcasts } from './broadcasts.js';
import { drainAndClose, followPublisher, openConnection, openSendConnection, type SendConnection } from './connection.js';
import { GroupConsumer, type DeadLetterSink } from './consumer.js';
import { deadLetterHeaders, readDeadLetters } from './dead-letters.js';
import { ackError, notConnected, readAck, requestError } from './errors.js';
import { readHistory } from './history.js';
import { NatsKVStore } from './kv.js';
import { LimitsBucket } from './limits-bucket.js';
import { consumerName, encodeName, idToHeader, MSG_ID, namesFor, type Names } from './names.js';
import { resolveOptions, type NatsTransportOptions, type ResolvedOptions } from './options.js';
import { Publisher } from './publisher.js';
import { NatsRates } from './rates.js';
import { DUE_HEADER, Scheduler } from './scheduler.js';
import {
  ensureConsumer,
  ensureNamespace,
  ensureStream,
  groupConsumerConfig,
  schedulerConsumerConfig,
  subjectStreamConfig,
} from './setup.js';
import { NatsSlots } from './slots.js';
import { NatsIndexes } from './sorted-index.js';

export { destroyNamespace } from './setup.js';
export { namesFor, type Names } from './names.js';
export type { NatsTransportOptions } from './options.js';

export class NatsTransport implements Transport {
  readonly kind = 'nats';
  readonly durable = true;
  readonly store: KVStore;
  readonly slots: Slots;
  readonly rates: Rates;
  readonly indexes: Indexes;
  readonly namespace: string;
  private readonly options: ResolvedOptions;
  private readonly names: Names;
  private readonly addresses: Addresses;
  private conn: NatsConnection | undefined;
  private jsm: JetStreamManager | undefined;
  private publisher: Publisher | undefined;
  /** Where sends go in a process that also consumes (see SendConnection). */
  private sender: SendConnection | undefined;
  private opening: Promise<void> | undefined;
  private connecting: Promise<void> | undefined;
  private scheduler: Promise<Scheduler> | undefined;
  private readonly consumers = new Set<GroupConsumer>();
  private readonly broadcasts: NatsBroadcasts;

  constructor(options: NatsTransportOptions = {}) {
    this.options = resolveOptions(options);
    this.namespace = this.options.namespace;
    this.names = namesFor(this.namespace);
    this.addresses = new Addresses(this.names, (subject) => this.createStream(subject));
    const indexes = new NatsIndexes({
      request: (subject, data, h, label) => this.request(subject, data, h, label),
      stream: this.names.indexStream,
      prefix: this.names.indexPrefix,
      timeoutMs: this.options.publishTimeoutMs,
    });
    this.indexes = indexes;
    this.store = new NatsKVStore(
      {
        nc: () => this.nc(),
        jsm: () => {
          this.nc();
          return this.jsm as JetStreamManager;
        },
        names: this.names,
        timeoutMs: this.options.publishTimeoutMs,
        request: (subject, data, h, label) => this.request(subject, data, h, label),
      },
      indexes,
    );
    const limits = new LimitsBucket({
      nc: () => this.nc(),
      jsm: () => {
        this.nc();
        return this.jsm as JetStreamManager;
      },
      request: (subject, data, h, label) => this.request(subject, data, h, label),
      stream: this.names.limitsStream,
      prefix: this.names.limitsPrefix,
      timeoutMs: this.options.publishTimeoutMs,
    });
    // A woken waiter's message goes out as any publish does, with a fresh id: two wakes are two messages.
    this.slots = new NatsSlots(limits, (w) => this.publish(w.subject, w.data, { msgId: nuid.next() }));
    this.rates = new NatsRates(limits);
    this.broadcasts = new NatsBroadcasts({
      nc: () => this.nc(),
      jsm: () => {
        this.nc();
        return this.jsm as JetStreamManager;
      },
      publisher: () => {
        if (!this.publisher) throw notConnected();
        return this.publisher;
      },
      names: this.names,
      addresses: this.addresses,
      retention: this.options.retention,
      window: this.options.broadcasts,
      timeoutMs: this.options.publishTimeoutMs,
    });
  }

  private request(subject: string, data: Uint8Array, h: MsgHdrs | undefined, label: string): Promise<Msg> {
    const publisher = this.publisher;
    return publisher ? publisher.request(subject, data, h, label) : Promise.reject(notConnected());
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
    const { nc, jsm } = await openConnection(this.options.connection);
    this.jsm = jsm;
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
    await ensureNamespace(jsm, () => this.nc(), this.names, this.options.retention, this.addresses.knownSubjects());
    await Promise.all([...this.broadcasts.knownChannels()].map((c) => this.broadcasts.ensure(c, true)));
  }

  private async createStream(subject: string): Promise<void> {
    const config = subjectStreamConfig(this.names, subject, this.options.retention);
    try {
      await ensureStream(this.jsm as JetStreamManager, config);
    } catch (e) {
      throw requestError(e, `creating the stream of "${subject}"`, this.options.publishTimeoutMs);
    }
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

  publish(subject: string, data: Uint8Array, options?: PublishOptions): Promise<PublishResult> {
    const publisher = this.publisher;
    if (!publisher) return Promise.reject(notConnected());
    const address = this.addresses.subject(subject);
    if (address === undefined) return this.addresses.prepare(subject).then(() => this.publish(subject, data, options));
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
      const sender = await openSendConnection(this.options.connection, this.options.publishTimeoutMs);
      // Sends stay on the main connection.
      if (!sender) return;
      // Closed meanwhile.
      if (!this.conn) {
        sender.publisher.close();
        await sender.nc.close().catch(() => undefined);
        return;
      }
      this.sender = sender;
      void followPublisher(sender);
    })());
  }

  async consume(subject: string, group: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer> {
    const nc = this.nc();
    await this.addresses.prepare(subject);
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
      const ensure = () => ensureConsumer(jsm, this.names.delayed, schedulerConsumerConfig());
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
    const h = deadLetterHeaders(letter);
    if (!this.publisher) throw notConnected();
    const ack = readAck(await this.publisher.request(this.names.deadSubject, letter.data, h, 'dead-lettering'));
    if (ack.error) throw ackError(ack, 'dead-lettering');
  };

  history(subject: string, limit: number): Promise<HistoryEntry[]> {
    return readHistory(this.nc(), this.names.stream(subject), limit, this.options.publishTimeoutMs);
  }

  deadLetters(limit: number): Promise<DeadLetter[]> {
    return readDeadLetters(this.nc(), this.names.dead, limit, this.options.publishTimeoutMs);
  }

  async deadLetterCount(): Promise<number> {
    this.nc();
    try {
      return await countDeadLetters(this.jsm as JetStreamManager, this.names);
    } catch (e) {
      throw requestError(e, 'counting dead letters', this.options.publishTimeoutMs);
    }
  }

  async backlog(subject: string, group: string): Promise<Backlog> {
    this.nc();
    try {
      return await readBacklog(this.jsm as JetStreamManager, this.names, subject, group);
    } catch (e) {
      throw requestError(e, `reading the backlog of "${group}" on "${subject}"`, this.options.publishTimeoutMs);
    }
  }

  broadcast(channel: string, data: Uint8Array, topic?: string): Promise<void> {
    return this.broadcasts.broadcast(channel, data, topic);
  }

  async watch(channel: string, listener: (data: Uint8Array, position: Position) => void, options?: WatchOptions): Promise<Watching> {
    this.nc();
    const { position, stop } = await this.broadcasts.watch(channel, listener, options);
    return watching(stop, String(position));
  }

  async close(): Promise<void> {
    const nc = this.conn;
    if (!nc) return;
    await Promise.all([...this.consumers].map((c) => c.stop({ timeoutMs: 0 })));
    const scheduler = this.scheduler;
    this.scheduler = undefined;
    await scheduler?.then((s) => s.stop()).catch(() => undefined);
    await this.broadcasts.close();
    this.publisher?.close();
    this.publisher = undefined;
    this.conn = undefined;
    const sender = this.sender;
    this.sender = undefined;
    this.opening = undefined;
    if (sender) {
      sender.publisher.close();
      await drainAndClose(sender.nc, this.options.publishTimeoutMs);
    }
    if (!nc.isClosed()) await drainAndClose(nc, this.options.publishTimeoutMs);
  }
}

function publishResult(msg: Msg): PublishResult {
  const ack = readAck(msg);
  if (ack.error || !ack.stream) throw ackError(ack, 'publish');
  return { duplicate: ack.duplicate === true };
}

export function createNatsTransport(options: NatsTransportOptions = {}): NatsTransport {
  return new NatsTransport(options);
}

/** The factory the runtime uses for `nats://` URLs and `{ kind: 'nats' }` configs. */
export function createTransport(options: NatsTransportOptions & { url?: string; kind?: string } = {}): Transport {
  return new NatsTransport(options);
}
