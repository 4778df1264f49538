/**
 * @module
 * The throughput floor: what the raw client does per second when it makes,
 * for each event, the same server calls a one-step eventide run makes, with
 * no eventide code (no records to encode, no run machine, no listeners).
 * Measured with the same pass structure as `eventideThroughput` (an untimed
 * warm-up pass, batches of 100 sends, at most 100 runs in flight), so a goal
 * on runs/s can be read against what this machine and server allow at all.
 *
 *   nats:  js.publish event ─► pull consumer ─► KV create (expect seq 0) ─► KV update (expect its seq) ─► +ACK
 *   redis: XADD ─► XREADGROUP ─► HSET (claim) ─► HSET + XACK (pipelined, no Lua; the bench's events carry no id of
 *          the caller's, so eventide sets no dedup marker for them either)
 */
import { performance } from 'node:perf_hooks';
import { eventBytes } from './signup-event.js';
import { throughputWarmupRuns, type ThroughputResult } from './throughput.js';
import { pricedInRedisCpu, uniqueNamespace, urls, withTimeout } from './env.js';

/** About the size of an encoded one-step run record with its event. */
const record = new Uint8Array(420).fill(7);
const inFlightCap = 100;
const batch = 100;

interface Pipeline {
  /** Sends events [from, from + n) and resolves when the server accepted them. */
  send(from: number, n: number): Promise<void>;
  /** Calls `listener` once per completed run. */
  onDone(listener: () => void): void;
  close(): Promise<void>;
}

export async function rawThroughput(
  kind: 'nats' | 'redis',
  events: number,
  timeoutMs = 60_000,
  warmupRuns = throughputWarmupRuns,
): Promise<ThroughputResult> {
  const pipeline = kind === 'nats' ? await natsPipeline() : await redisPipeline();
  let completed = 0;
  let target = Infinity;
  let finish: () => void = () => {};
  pipeline.onDone(() => {
    if (++completed === target) finish();
  });
  const pass = async (from: number, n: number): Promise<ThroughputResult> => {
    completed = 0;
    target = n;
    const done = new Promise<void>((r) => (finish = r));
    const t0 = performance.now();
    for (let i = from; i < from + n; i += batch) await pipeline.send(i, Math.min(batch, from + n - i));
    await withTimeout(done, timeoutMs, `${n} raw ${kind} runs`).catch((e) => process.stderr.write(`${String(e)}; ${completed} done\n`));
    const seconds = (performance.now() - t0) / 1000;
    return {
      runsPerSec: completed / seconds,
      eventsPerSec: completed / seconds,
      completed,
      expected: n,
      seconds,
      redisCpuUsPerRun: Number.NaN,
    };
  };
  try {
    await pass(0, warmupRuns);
    return await pricedInRedisCpu(kind === 'redis', () => pass(1_000_000, events));
  } finally {
    await pipeline.close();
  }
}

async function natsPipeline(): Promise<Pipeline> {
  const { AckPolicy, StorageType, connect, createInbox } = await import('nats');
  const servers = urls.nats.replace(/^nats:\/\//, '');
  const ns = uniqueNamespace('rawtpnats');
  const stream = `${ns}_events`;
  const subject = `${ns}.events.user=2Fcreated`;
  const bucket = `${ns}_store`;
  // Sends on a connection of their own, as eventide's do when the process also works.
  const producer = await connect({ servers, noAsyncTraces: true });
  const worker = await connect({ servers, noAsyncTraces: true });
  const jsm = await worker.jetstreamManager();
  const close = async () => {
    for (const s of [stream, `KV_${bucket}`]) await jsm.streams.delete(s).catch(() => undefined);
    await producer.close();
    await worker.close();
  };
  try {
    await jsm.streams.add({ name: stream, subjects: [`${ns}.events.>`], storage: StorageType.File });
    await jsm.consumers.add(stream, { durable_name: 'one', ack_policy: AckPolicy.Explicit, max_ack_pending: -1 });
    await worker.jetstream().views.kv(bucket, { history: 1 });
  } catch (e) {
    await close();
    throw e;
  }
  const pjs = producer.jetstream();
  const js = worker.jetstream();
  const event = eventBytes();
  const inbox = createInbox();
  let inFlight = 0;
  let requested = 0;
  let done: () => void = () => {};
  const pull = () => {
    const want = inFlightCap - inFlight - requested;
    if (want < inFlightCap / 2) return;
    requested += want;
    worker.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.one`, JSON.stringify({ batch: want, expires: 30_000_000_000 }), { reply: inbox });
  };
  worker.subscribe(inbox, {
    callback: (err, msg) => {
      if (err) return;
      if (!msg.reply) {
        // A status: the request expired or was cut short; what it still covered is no longer coming.
        requested -= Number(msg.headers?.get('Nats-Pending-Messages')) || 0;
        return pull();
      }
      requested--;
      inFlight++;
      const key = `$KV.${bucket}.run.${msg.headers?.get('Nats-Msg-Id')}`;
      js.publish(key, record, { expect: { lastSubjectSequence: 0 } })
        .then((ack) => js.publish(key, record, { expect: { lastSubjectSequence: ack.seq } }))
        .then(() => {
          msg.respond('+ACK');
          inFlight--;
          done();
          pull();
        })
        .catch((e: unknown) => process.stderr.write(`raw nats run failed: ${String(e)}\n`));
    },
  });
  pull();
  return {
    async send(from, n) {
      const acks: Promise<unknown>[] = [];
      for (let i = from; i < from + n; i++) acks.push(pjs.publish(subject, event, { msgID: `e${i}` }));
      await Promise.all(acks);
    },
    onDone(listener) {
      done = listener;
    },
    close,
  };
}

type StreamReply = [key: Buffer, entries: [id: Buffer, fields: Buffer[]][]][] | null;

async function redisPipeline(): Promise<Pipeline> {
  const { Redis } = await import('ioredis');
  const ns = uniqueNamespace('rawtpredis');
  const stream = `{${ns}}:events`;
  const producer = new Redis(urls.redis, { maxRetriesPerRequest: 1 });
  const reader = new Redis(urls.redis, { maxRetriesPerRequest: 1 });
  const writer = new Redis(urls.redis, { maxRetriesPerRequest: 1 });
  const event = Buffer.from(eventBytes());
  const body = Buffer.from(record);
  let stopped = false;
  let done: () => void = () => {};
  let inFlight = 0;
  let roomMade: (() => void) | undefined;
  const run = async (ids: string[], eventIds: string[]) => {
    const claim = writer.pipeline();
    for (const id of eventIds) claim.hset(`{${ns}}:kv:${id}`, 'v', body, 'r', 1);
    await claim.exec();
    const commit = writer.pipeline();
    for (const id of eventIds) commit.hset(`{${ns}}:kv:${id}`, 'v', body, 'r', 2);
    commit.xack(stream, 'one', ...ids);
    await commit.exec();
    inFlight -= ids.length;
    for (let i = 0; i < ids.length; i++) done();
    roomMade?.();
  };
  const read = async () => {
    while (!stopped) {
      if (inFlight >= inFlightCap) {
        await new Promise<void>((r) => (roomMade = r));
        roomMade = undefined;
        continue;
      }
      const reply = (await reader.callBuffer(
        'XREADGROUP',
        'GROUP',
        'one',
        'c',
        'COUNT',
        inFlightCap - inFlight,
        'BLOCK',
        5000,
        'STREAMS',
        stream,
        '>',
      )) as StreamReply;
      for (const [, entries] of reply ?? []) {
        inFlight += entries.length;
        void run(
          entries.map(([id]) => id.toString()),
          entries.map(([, fields]) => fields[1].toString()),
        ).catch((e: unknown) => process.stderr.write(`raw redis run failed: ${String(e)}\n`));
      }
    }
  };
  await producer.xgroup('CREATE', stream, 'one', '$', 'MKSTREAM');
  const reading = read().catch((e: unknown) => {
    if (!stopped) process.stderr.write(`raw redis reader failed: ${String(e)}\n`);
  });
  return {
    async send(from, n) {
      const p = producer.pipeline();
      for (let i = from; i < from + n; i++) p.xadd(stream, '*', 'i', `e${i}`, 'd', event);
      await p.exec();
    },
    onDone(listener) {
      done = listener;
    },
    async close() {
      stopped = true;
      reader.disconnect();
      await reading;
      let cursor = '0';
      do {
        const [next, keys] = await producer.scan(cursor, 'MATCH', `{${ns}}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await producer.del(...keys);
      } while (cursor !== '0');
      await producer.quit().catch(() => producer.disconnect());
      await writer.quit().catch(() => writer.disconnect());
    },
  };
}
