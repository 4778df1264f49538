/**
 * Creating (idempotently, from many processes at once) and destroying what
 * a namespace keeps on the server.
 */
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  DiscardPolicy,
  nanos,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type NatsConnection,
  type StreamConfig,
} from 'nats';
import { namesFor, type Names } from './names.js';
import { SCHEDULER } from './scheduler.js';

export interface Retention {
  storage: 'file' | 'memory';
  replicas: number;
  maxBytes: number;
  maxAgeMs: number;
  duplicateWindowMs: number;
  maxDeadLetters: number;
}

function storageOf(r: Retention): StorageType {
  return r.storage === 'memory' ? StorageType.Memory : StorageType.File;
}

function commonOf(r: Retention) {
  return { storage: storageOf(r), num_replicas: r.replicas, duplicate_window: nanos(r.duplicateWindowMs) };
}

/** The stream of one durable subject: its messages with their topics, kept as history within the retention limits. */
export function subjectStreamConfig(names: Names, subject: string, r: Retention): Partial<StreamConfig> & { name: string } {
  const address = names.subject(subject);
  return {
    ...commonOf(r),
    name: names.stream(subject),
    subjects: [address, `${address}.>`],
    retention: RetentionPolicy.Limits,
    // Retention bounds what is kept as history; unconsumed work older than it is dropped too.
    discard: DiscardPolicy.Old,
    max_bytes: r.maxBytes > 0 ? r.maxBytes : -1,
    max_age: r.maxAgeMs > 0 ? nanos(r.maxAgeMs) : 0,
    allow_direct: true,
  };
}

/** How long, and how much, a broadcast channel's stream keeps: the window a watcher can resume within. */
export interface BroadcastWindow {
  maxAgeMs: number;
  maxBytes: number;
}

/** The stream of one broadcast channel: every topic of it, for a short while (each broadcast's position is its sequence). */
export function channelStreamConfig(
  names: Names,
  channel: string,
  r: Retention,
  w: BroadcastWindow,
): Partial<StreamConfig> & { name: string } {
  const address = names.channel(channel);
  return {
    ...commonOf(r),
    // Dedup absorbs a broadcast sent again after a reconnect; JetStream wants its window within the max age.
    duplicate_window: nanos(Math.min(r.duplicateWindowMs, w.maxAgeMs)),
    name: names.channelStream(channel),
    subjects: [address, `${address}.>`],
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(w.maxAgeMs),
    max_bytes: w.maxBytes,
    allow_direct: true,
  };
}

/** The streams every namespace has, whatever subjects it uses. */
export function streamConfigs(names: Names, r: Retention): (Partial<StreamConfig> & { name: string })[] {
  const common = commonOf(r);
  return [
    {
      ...common,
      name: names.delayed,
      subjects: [`${names.delayedPrefix}>`],
      // A delayed message leaves this stream once it has been moved to its subject's stream.
      retention: RetentionPolicy.Workqueue,
      discard: DiscardPolicy.Old,
    },
    {
      ...common,
      name: names.dead,
      subjects: [names.deadSubject],
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_msgs: r.maxDeadLetters > 0 ? r.maxDeadLetters : -1,
      allow_direct: true,
    },
    {
      ...common,
      name: names.indexStream,
      subjects: [`${names.indexPrefix}>`],
      // Kept as long as the values they list; readers roll each subject up into one message.
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      allow_direct: true,
      allow_rollup_hdrs: true,
    },
  ];
}

function notFound(e: unknown): boolean {
  return /not found/i.test((e as Error)?.message ?? '');
}

/** Adds the stream, or brings the limits of an existing one in line (storage cannot change and is left alone). */
export async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  let existing: StreamConfig | undefined;
  try {
    existing = (await jsm.streams.info(config.name)).config;
  } catch (e) {
    if (!notFound(e)) throw e;
  }
  if (!existing) {
    try {
      await jsm.streams.add(config);
      return;
    } catch (e) {
      // Another process created it between our look and our add.
      if (!/already in use/i.test((e as Error).message)) throw e;
      existing = (await jsm.streams.info(config.name)).config;
    }
  }
  const limits = ['max_bytes', 'max_age', 'max_msgs', 'duplicate_window', 'allow_direct'] as const;
  const changed = limits.some((k) => config[k] !== undefined && config[k] !== existing[k]);
  if (changed) {
    const update: Record<string, unknown> = { ...existing };
    for (const k of limits) if (config[k] !== undefined) update[k] = config[k];
    await jsm.streams.update(config.name, update);
  }
}

/** A group's consumer sees its subject's stream whole: every topic. */
export function groupConsumerConfig(durable: string, ackWaitMs: number): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    // A group created later starts from what the stream still holds.
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(Math.max(1, ackWaitMs)),
    max_deliver: -1,
    // Unlimited: each process pulls only for its free slots, and a NAK'd message
    // waiting out its retry delay counts as pending, so a cap would stall the group.
    max_ack_pending: -1,
  };
}

/**
 * Creates everything a namespace keeps, or brings it in line: its own streams, the streams of the
 * durable `subjects` known so far, and the buckets of the store and of the limits (through `nc()`, once the streams exist).
 */
export async function ensureNamespace(
  jsm: JetStreamManager,
  nc: () => NatsConnection,
  names: Names,
  r: Retention,
  subjects: Iterable<string>,
): Promise<void> {
  const configs = streamConfigs(names, r);
  for (const subject of subjects) configs.push(subjectStreamConfig(names, subject, r));
  await Promise.all(configs.map((c) => ensureStream(jsm, c)));
  const kv = { history: 1, storage: storageOf(r), replicas: r.replicas };
  const js = nc().jetstream();
  await Promise.all([js.views.kv(names.bucket, kv), js.views.kv(names.limitsBucket, kv)]);
}

/** The scheduler's consumer on the delayed stream (see scheduler.ts), which every process that consumes shares. */
export function schedulerConsumerConfig(): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: SCHEDULER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(30_000),
    max_deliver: -1,
    // Every waiting delayed message is ack-pending between its NAKs.
    max_ack_pending: -1,
  };
}

/** Creates the durable consumer, or updates its ack wait (the group shares one: the last consumer started sets it). */
export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig> & { durable_name: string },
): Promise<void> {
  try {
    const info = await jsm.consumers.info(stream, config.durable_name);
    if (info.config.ack_wait !== config.ack_wait || info.config.max_ack_pending !== config.max_ack_pending) {
      await jsm.consumers.update(stream, config.durable_name, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending });
    }
    return;
  } catch (e) {
    if (!notFound(e)) throw e;
  }
  await jsm.consumers.add(stream, config);
}

/**
 * Deletes everything a namespace keeps on the server: every stream with a
 * subject under `<ns>.` (with their consumers) and its key-value buckets.
 * Missing pieces are skipped.
 */
export async function destroyNamespace(target: string | NatsConnection, namespace: string): Promise<void> {
  const names = namesFor(namespace);
  const nc = typeof target === 'string' ? await connect({ servers: target.split(','), noAsyncTraces: true }) : target;
  try {
    const jsm = await nc.jetstreamManager();
    const streams = new Set([names.delayed, names.dead, names.kvStream, names.limitsStream, names.indexStream]);
    for await (const name of jsm.streams.names(`${names.root}>`)) streams.add(name);
    for (const stream of streams) {
      try {
        await jsm.streams.delete(stream);
      } catch (e) {
        if (!notFound(e)) throw e;
      }
    }
  } finally {
    if (typeof target === 'string') await nc.close();
  }
}
