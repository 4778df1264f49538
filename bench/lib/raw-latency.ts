/**
 * @module
 * The floor under event → start: the raw client's publish → receive on the
 * same server, one durable round trip at a time, with no eventide code.
 */
import { performance } from 'node:perf_hooks';
import { uniqueNamespace, urls, withTimeout } from './env.js';
import { latencyWarmup } from './start-latency.js';
import { distribution, type Distribution } from './stats.js';

/** One durable round trip at a time through a transport's own client. */
interface Floor {
  /** Publishes a message carrying `performance.now()`; resolves with publish → arrival in µs once it arrived (and its ack is on its way). */
  roundTrip(): Promise<number>;
  close(): Promise<void>;
}

/**
 * What the server and client can do at all, measured like the start
 * latency (same n, warm-up and sequential protocol) but with no eventide
 * code, so a noisy machine's swings show up in both figures of a run.
 */
export async function rawStartLatency(kind: 'nats' | 'redis', n: number, warmup = latencyWarmup): Promise<Distribution> {
  const floor = kind === 'nats' ? await natsFloor() : await redisFloor();
  const samples: number[] = [];
  try {
    for (let i = 0; i < n + warmup; i++) samples.push(await withTimeout(floor.roundTrip(), 10_000, `one raw ${kind} message`));
    return distribution(samples.slice(warmup));
  } finally {
    await floor.close();
  }
}

/**
 * The receiving side hands each arrival to the one round trip waiting for it
 * (there is never more than one); a failure there fails that round trip and
 * every later one, rather than leaving them to time out.
 */
function arrivals(): { wait: () => Promise<number>; arrived: (us: number) => void; failed: (e: unknown) => void } {
  let waiter: { resolve(us: number): void; reject(e: unknown): void } | undefined;
  let failure: Error | undefined;
  return {
    wait() {
      const p = failure ? Promise.reject(failure) : new Promise<number>((resolve, reject) => (waiter = { resolve, reject }));
      // Awaited only after the publish: until then a rejection must not count as unhandled.
      p.catch(() => undefined);
      return p;
    },
    arrived: (us) => waiter?.resolve(us),
    failed(e) {
      failure ??= e instanceof Error ? e : new Error(String(e));
      waiter?.reject(failure);
    },
  };
}

const sinceUs = (t: number) => (performance.now() - t) * 1000;

/** js.publish into a file stream; a durable pull consumer fed by a request kept outstanding on our own inbox; '+ACK' each message, confirmed (a request) before the next publish. */
async function natsFloor(): Promise<Floor> {
  const { AckPolicy, StorageType, connect, createInbox } = await import('nats');
  const nc = await connect({ servers: urls.nats.replace(/^nats:\/\//, ''), noAsyncTraces: true });
  const namespace = uniqueNamespace('floornats');
  const stream = `${namespace}_floor`;
  const subject = `${namespace}.floor`;
  const jsm = await nc.jetstreamManager();
  const close = async () => {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  };
  try {
    await jsm.streams.add({ name: stream, subjects: [subject], storage: StorageType.File });
    await jsm.consumers.add(stream, { durable_name: 'floor', ack_policy: AckPolicy.Explicit, max_ack_pending: -1 });
  } catch (e) {
    await close();
    throw e;
  }
  const js = nc.jetstream();
  const inbox = createInbox();
  const { wait, arrived, failed } = arrivals();
  const pull = keepPulling((body) => nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.floor`, JSON.stringify(body), { reply: inbox }));
  nc.subscribe(inbox, {
    callback: (err, msg) => {
      if (err) return failed(err);
      // Status messages (an expired request's 408) carry no reply subject.
      if (!msg.reply) return;
      const us = sinceUs(Number(msg.string()));
      pull.received();
      // The next round trip waits for the server to confirm the ack, as the next event of eventide's loop waits for the run's commit.
      nc.request(msg.reply, '+ACK', { timeout: 5_000 }).then(() => arrived(us), failed);
    },
  });
  return {
    roundTrip: async () => {
      pull.topUp();
      const arrival = wait();
      await js.publish(subject, String(performance.now()));
      return arrival;
    },
    close,
  };
}

/**
 * Keeps a pull request outstanding. `left` counts only what the newest
 * request still covers, so it undercounts while older ones have room and
 * the consumer never runs dry; a new request goes out at half the batch or
 * half the expiry, between round trips, where nothing is in flight.
 */
function keepPulling(request: (body: { batch: number; expires: number }) => void): { topUp(): void; received(): void } {
  const batch = 100;
  const expiresMs = 30_000;
  let left = 0;
  let sentAt = -Infinity;
  return {
    topUp() {
      if (left > batch / 2 && performance.now() - sentAt < expiresMs / 2) return;
      request({ batch, expires: expiresMs * 1_000_000 }); // ns
      left = batch;
      sentAt = performance.now();
    },
    received() {
      left--;
    },
  };
}

type StreamReply = [key: string, entries: [id: string, fields: string[]][]][];

/** XADD on one connection; a blocking XREADGROUP loop (COUNT 10 BLOCK 5000) on a second; XACK each entry, its reply awaited before the next XADD. */
async function redisFloor(): Promise<Floor> {
  const { Redis } = await import('ioredis');
  const key = `${uniqueNamespace('floorredis')}:floor`;
  const writer = new Redis(urls.redis, { maxRetriesPerRequest: 1 });
  const reader = new Redis(urls.redis, { maxRetriesPerRequest: 1 });
  let stopped = false;
  const { wait, arrived, failed } = arrivals();
  const read = async () => {
    while (!stopped) {
      const reply = (await reader.xreadgroup('GROUP', 'floor', 'c', 'COUNT', 10, 'BLOCK', 5000, 'STREAMS', key, '>')) as StreamReply | null;
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          const us = sinceUs(Number(fields[1]));
          // On the reader's connection ahead of the next XREADGROUP; the next round trip waits for its reply, as the
          // next event of eventide's loop waits for the run's commit.
          reader.xack(key, 'floor', id).then(() => arrived(us), failed);
        }
      }
    }
  };
  let reading: Promise<void> = Promise.resolve();
  const close = async () => {
    stopped = true;
    // Ends the blocked XREADGROUP now rather than after its 5 s.
    reader.disconnect();
    await reading;
    await writer.del(key).catch(() => undefined);
    await writer.quit().catch(() => writer.disconnect());
  };
  try {
    await writer.xgroup('CREATE', key, 'floor', '$', 'MKSTREAM');
  } catch (e) {
    await close();
    throw e;
  }
  reading = read().catch((e: unknown) => {
    if (!stopped) failed(e);
  });
  return {
    roundTrip: async () => {
      const arrival = wait();
      await writer.xadd(key, '*', 't', String(performance.now()));
      return arrival;
    },
    close,
  };
}
