/**
 * @module
 * Where the benchmarks run: unique namespaces, which transports work right
 * now (a transport counts when a runtime on it starts and runs a function),
 * and cleaning up what a run left on Redis and NATS.
 */
import { createRuntime, defineFunction, type Logger } from '../../index.js';

export type TransportKind = 'memory' | 'nats' | 'redis';
export const transportKinds: TransportKind[] = ['memory', 'nats', 'redis'];

export const urls = {
  nats: process.env.EVENTIDE_BENCH_NATS ?? 'nats://127.0.0.1:4222',
  redis: process.env.EVENTIDE_BENCH_REDIS ?? 'redis://127.0.0.1:6379',
};

export function transportUrl(kind: TransportKind): string {
  return kind === 'memory' ? 'memory://' : urls[kind];
}

/** One tag per suite run, handed to every child process, so whatever a run leaves behind can be found by name. */
export const runTag = process.env.EVENTIDE_BENCH_RUN ?? `${process.pid}_${Date.now().toString(36)}`;
process.env.EVENTIDE_BENCH_RUN = runTag;
let counter = 0;

/** `bench_<run>_<pid>_<tag><n>`: unique per run, process and use; only [A-Za-z0-9_] so every transport accepts it. */
export function uniqueNamespace(tag: string): string {
  return `bench_${runTag}_${process.pid.toString(36)}_${tag.replace(/[^A-Za-z0-9]/g, '')}${counter++}`;
}

/** Removes everything any process of this run left on Redis and NATS (a safety net after an interrupted case). */
export async function cleanupRun(): Promise<void> {
  const prefix = `bench_${runTag}_`;
  await Promise.all([cleanupNamespace('redis', prefix).catch(() => 0), cleanupNamespace('nats', prefix).catch(() => 0)]);
}

/** Warnings and errors of the runtime, to stderr, prefixed; nothing else. */
export const benchLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (m, f) => process.stderr.write(`[eventide warn] ${m}${f ? ` ${JSON.stringify(f)}` : ''}\n`),
  error: (m, f) => process.stderr.write(`[eventide error] ${m}${f ? ` ${JSON.stringify(f)}` : ''}\n`),
};

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Probe {
  ok: boolean;
  reason?: string;
}

/**
 * A transport is usable when a runtime on it starts, accepts an event and
 * runs a function for it within a few seconds.
 */
export async function probeTransport(kind: TransportKind, timeoutMs = 8_000): Promise<Probe> {
  const namespace = uniqueNamespace(`probe${kind}`);
  let done!: () => void;
  const ran = new Promise<void>((r) => (done = r));
  const fn = defineFunction({ id: 'probe', trigger: { event: 'bench/probe' } }, async () => {
    done();
  });
  let runtime: ReturnType<typeof createRuntime> | undefined;
  try {
    runtime = createRuntime({ transport: transportUrl(kind), namespace, functions: [fn], logger: benchLogger });
    await withTimeout(runtime.start(), timeoutMs, `starting a runtime on ${transportUrl(kind)}`);
    await withTimeout(runtime.send({ name: 'bench/probe', data: {} }), timeoutMs, 'send');
    await withTimeout(ran, timeoutMs, 'running a function');
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: oneLine(e) };
  } finally {
    await runtime?.stop({ timeoutMs: 1_000 }).catch(() => undefined);
    await cleanupNamespace(kind, namespace).catch(() => undefined);
  }
}

export function oneLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].slice(0, 200);
}

/** Is something answering PING at the Redis URL? (BullMQ needs only that.) */
export async function redisUp(timeoutMs = 2_000): Promise<Probe> {
  const { Redis } = await import('ioredis');
  const client = new Redis(urls.redis, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
  });
  client.on('error', () => {});
  try {
    await withTimeout(client.connect(), timeoutMs, 'connecting to Redis');
    await withTimeout(client.ping(), timeoutMs, 'Redis PING');
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: oneLine(e) };
  } finally {
    client.disconnect();
  }
}

export async function natsUp(timeoutMs = 2_000): Promise<Probe> {
  try {
    const { connect } = await import('nats');
    const nc = await connect({ servers: urls.nats.replace(/^nats:\/\//, ''), timeout: timeoutMs, reconnect: false });
    try {
      await withTimeout(
        nc.jetstreamManager().then((m) => m.getAccountInfo()),
        timeoutMs,
        'JetStream account info',
      );
      return { ok: true };
    } finally {
      await nc.close();
    }
  } catch (e) {
    return { ok: false, reason: oneLine(e) };
  }
}

/** Deletes everything a namespace left: Redis keys containing it, NATS streams (and KV buckets) named after it. */
export async function cleanupNamespace(kind: TransportKind | 'bullmq', namespace: string): Promise<number> {
  if (!namespace.startsWith('bench_')) throw new Error(`refusing to clean up "${namespace}": not a benchmark namespace`);
  if (kind === 'memory') return 0;
  if (kind === 'redis' || kind === 'bullmq') {
    const { Redis } = await import('ioredis');
    const client = new Redis(urls.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    try {
      await client.connect();
      let cursor = '0';
      let deleted = 0;
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `*${namespace}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) deleted += await client.unlink(...keys);
      } while (cursor !== '0');
      return deleted;
    } finally {
      client.disconnect();
    }
  }
  const { connect } = await import('nats');
  const nc = await connect({ servers: urls.nats.replace(/^nats:\/\//, ''), timeout: 2_000, reconnect: false });
  try {
    const jsm = await nc.jetstreamManager();
    const names: string[] = [];
    for await (const name of jsm.streams.names()) if (name.includes(namespace)) names.push(name);
    for (const name of names) await jsm.streams.delete(name).catch(() => undefined);
    return names.length;
  } finally {
    await nc.close();
  }
}

/**
 * Runs `pass` and prices it in the Redis server's own CPU (INFO cpu, user +
 * sys) per completed run. When many workers share one Redis, that is what
 * runs out first, whatever one worker process manages. NaN off Redis.
 */
export async function pricedInRedisCpu<R extends { completed: number; redisCpuUsPerRun: number }>(
  onRedis: boolean,
  pass: () => Promise<R>,
): Promise<R> {
  if (!onRedis) return pass();
  const { Redis } = await import('ioredis');
  const client = new Redis(urls.redis, { maxRetriesPerRequest: 1 });
  const cpu = async () => {
    const info = await client.info('cpu');
    const field = (name: string) => Number(new RegExp(`^used_cpu_${name}:([0-9.]+)`, 'm').exec(info)?.[1]);
    return field('user') + field('sys');
  };
  try {
    const before = await cpu();
    const result = await pass();
    const after = await cpu();
    return { ...result, redisCpuUsPerRun: result.completed > 0 ? ((after - before) * 1e6) / result.completed : Number.NaN };
  } finally {
    client.disconnect();
  }
}
