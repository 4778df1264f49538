/**
 * Redis transport against raw ioredis on the same server, in one run:
 *
 *   1. sequential publish latency: transport.publish (dedup + XADD + trim check
 *      in one script) vs a raw XADD on an identically configured client,
 *      alternating rounds so drift and noise hit both;
 *   2. pipelined publish rate (many in flight);
 *   3. consume + ack throughput through the transport at concurrency 100;
 *   4. publish → handler-start latency at low load (one message in flight),
 *      with raw XADD → XREADGROUP BLOCK as the floor.
 *
 * Build and run: npx tsc -p tsconfig.build.json && node dist/bench/redis-transport.js
 * Environment: REDIS_URL (default redis://127.0.0.1:6379), ROUNDS, QUICK=1.
 */
import { Redis } from 'ioredis';
import type { Delivery } from '../core/transport.js';
import { createRedisTransport, destroyNamespace } from '../transports/redis/index.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const quick = process.env.QUICK === '1';
const ROUNDS = Number(process.env.ROUNDS ?? (quick ? 3 : 7));
const SEQ_OPS = quick ? 1000 : 3000;
const PIPE_OPS = quick ? 20_000 : 100_000;
const DRAIN_OPS = quick ? 20_000 : 100_000;
const LAT_OPS = quick ? 500 : 2000;
const payload = Buffer.from(
  JSON.stringify({ name: 'user/created', data: { userId: 'u_1234567890', plan: 'pro', source: 'signup-form' }, ts: Date.now() }),
);

const ns = `bench_${process.pid}_${Date.now().toString(36)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1000; // µs

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
function summary(values: number[]): { min: number; med: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { min: s[0], med: s[Math.floor(s.length / 2)], max: s[s.length - 1] };
}
const f1 = (n: number) => n.toFixed(1);
const fk = (n: number) => `${(n / 1000).toFixed(1)}k/s`;
const row = (label: string, s: { min: number; med: number; max: number }, fmt: (n: number) => string) =>
  `  ${label.padEnd(34)} min ${fmt(s.min).padStart(8)}  median ${fmt(s.med).padStart(8)}  max ${fmt(s.max).padStart(8)}`;

async function sequential(op: (i: number) => Promise<unknown>, ops: number): Promise<{ p50: number; p99: number }> {
  const lat = new Array<number>(ops);
  for (let i = 0; i < ops; i++) {
    const t0 = now();
    await op(i);
    lat[i] = now() - t0;
  }
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 50), p99: pct(lat, 99) };
}

async function pipelined(op: (i: number) => Promise<unknown>, ops: number, window = 1000): Promise<number> {
  const t0 = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < ops) await op(next++);
    }),
  );
  return (ops / (now() - t0)) * 1e6;
}

async function publishLatency(autoPipelining: boolean) {
  const t = createRedisTransport({ url, namespace: `${ns}_seq${autoPipelining ? 'a' : 'n'}`, autoPipelining });
  await t.connect();
  const raw = new Redis(url, { enableAutoPipelining: autoPipelining, commandTimeout: 5000 });
  const rawKey = `{${ns}_raw}:s:events`;
  const pub = { p50: [] as number[], p99: [] as number[] };
  const xadd = { p50: [] as number[], p99: [] as number[] };
  let seq = 0;
  // Warm up both (script load, JIT).
  await sequential((i) => t.publish('events', payload, { msgId: `w${i}` }), 500);
  await sequential(() => raw.xadd(rawKey, 'MAXLEN', '~', 10_000, '*', 'd', payload), 500);
  for (let r = 0; r < ROUNDS; r++) {
    const a = await sequential(() => t.publish('events', payload, { msgId: `m${seq++}` }), SEQ_OPS);
    const b = await sequential(() => raw.xadd(rawKey, 'MAXLEN', '~', 10_000, '*', 'd', payload), SEQ_OPS);
    pub.p50.push(a.p50);
    pub.p99.push(a.p99);
    xadd.p50.push(b.p50);
    xadd.p99.push(b.p99);
  }
  await t.close();
  await destroyNamespace(raw, `${ns}_seq${autoPipelining ? 'a' : 'n'}`);
  await destroyNamespace(raw, `${ns}_raw`);
  raw.disconnect();
  return { pub, xadd };
}

async function pipelinedRates() {
  const t = createRedisTransport({ url, namespace: `${ns}_pipe`, maxLen: 10_000 });
  const raw = new Redis(url);
  await t.connect();
  const rawKey = `{${ns}_raw}:s:events`;
  const pub: number[] = [];
  const xadd: number[] = [];
  let seq = 0;
  for (let r = 0; r < Math.min(ROUNDS, 3); r++) {
    pub.push(await pipelined(() => t.publish('events', payload, { msgId: `p${seq++}` }), PIPE_OPS));
    xadd.push(await pipelined(() => raw.xadd(rawKey, 'MAXLEN', '~', 10_000, '*', 'd', payload), PIPE_OPS));
  }
  await t.close();
  await destroyNamespace(raw, `${ns}_pipe`);
  await destroyNamespace(raw, `${ns}_raw`);
  raw.disconnect();
  return { pub, xadd };
}

async function drainTransport(concurrency: number, round: number): Promise<number> {
  const space = `${ns}_drain${round}`;
  const t = createRedisTransport({ url, namespace: space, maxLen: 0 });
  await t.connect();
  // Create the group first so every message waits for it.
  const warm = await t.consume('events', 'fn', (d) => d.ack(), { concurrency, ackWaitMs: 30_000 });
  await warm.stop({ timeoutMs: 0 });
  await pipelined((i) => t.publish('events', payload, { msgId: `d${i}` }), DRAIN_OPS);
  let done = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((r2) => (resolveAll = r2));
  const t0 = now();
  const c = await t.consume(
    'events',
    'fn',
    async (d: Delivery) => {
      await d.ack();
      if (++done === DRAIN_OPS) resolveAll();
    },
    { concurrency, ackWaitMs: 30_000 },
  );
  await all;
  const rate = (DRAIN_OPS / (now() - t0)) * 1e6;
  // Sanity: every ack reached Redis.
  await sleep(50);
  const [pending] = (await t.client.xpending(`{${space}}:s:events`, 'fn')) as [number];
  if (pending !== 0) throw new Error(`drain left ${pending} entries pending`);
  await c.stop({ timeoutMs: 1000 });
  await t.close();
  await destroyNamespace(url, space);
  return rate;
}

/** The floor: XREADGROUP COUNT 100 and one XACK per batch, no handlers, on plain connections. */
async function drainRaw(round: number): Promise<number> {
  const key = `{${ns}_rawdrain${round}}:s`;
  const redis = new Redis(url);
  await redis.xgroup('CREATE', key, 'g', '0', 'MKSTREAM');
  await pipelined(() => redis.xadd(key, '*', 'd', payload), DRAIN_OPS);
  const t0 = now();
  let done = 0;
  while (done < DRAIN_OPS) {
    const reply = (await redis.callBuffer('XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', 100, 'STREAMS', key, '>')) as
      [Buffer, [Buffer, Buffer[]][]][] | null;
    if (!reply) continue;
    const ids = reply[0][1].map(([id]) => id);
    await redis.xack(key, 'g', ...ids);
    done += ids.length;
  }
  const rate = (DRAIN_OPS / (now() - t0)) * 1e6;
  await redis.del(key);
  redis.disconnect();
  return rate;
}

async function drain(concurrency: number) {
  const transport: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < Math.min(ROUNDS, 3); r++) {
    transport.push(await drainTransport(concurrency, r));
    raw.push(await drainRaw(r));
  }
  return { transport, raw };
}

/**
 * Paired samples: each round trip alternates transport.publish → handler and
 * raw XADD → XREADGROUP BLOCK, so both see the same load on a shared machine.
 */
async function endToEnd() {
  const space = `${ns}_e2e`;
  const producer = createRedisTransport({ url, namespace: space });
  const worker = createRedisTransport({ url, namespace: space });
  await producer.connect();
  await worker.connect();
  let sentAt = 0;
  let arrived!: (us: number) => void;
  const c = await worker.consume(
    'events',
    'fn',
    (d) => {
      arrived(now() - sentAt);
      return d.ack();
    },
    { concurrency: 100, ackWaitMs: 30_000 },
  );
  const pub = new Redis(url);
  const sub = new Redis(url);
  const key = `{${ns}_e2eraw}:s`;
  await pub.xgroup('CREATE', key, 'g', '$', 'MKSTREAM');
  const samples: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < 2 * (LAT_OPS + 100); i++) {
    await sleep(1);
    if (i % 2 === 0) {
      const got = new Promise<number>((r) => (arrived = r));
      sentAt = now();
      await producer.publish('events', payload, { msgId: `e${i}` });
      const us = await got;
      if (i >= 200) samples.push(us);
    } else {
      const reading = sub.xreadgroup('GROUP', 'g', 'c', 'COUNT', 100, 'BLOCK', 5000, 'STREAMS', key, '>') as Promise<
        [string, [string, string[]][]][] | null
      >;
      await new Promise((r) => setImmediate(r));
      const t0 = now();
      await pub.xadd(key, '*', 'd', payload);
      const reply = await reading;
      const us = now() - t0;
      if (reply) await pub.xack(key, 'g', reply[0][1][0][0]);
      if (i >= 200) raw.push(us);
    }
  }
  await c.stop({ timeoutMs: 1000 });
  await producer.close();
  await worker.close();
  await destroyNamespace(pub, space);
  await destroyNamespace(pub, `${ns}_e2eraw`);
  pub.disconnect();
  sub.disconnect();
  const s = [...samples].sort((a, b) => a - b);
  const r = [...raw].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99), rawP50: pct(r, 50), rawP99: pct(r, 99) };
}

async function main() {
  console.log(`eventide Redis transport benchmark — ${url}, payload ${payload.length} B, ${ROUNDS} rounds, node ${process.version}`);

  for (const ap of [true, false]) {
    const { pub, xadd } = await publishLatency(ap);
    console.log(`\n1. sequential publish latency, µs (${SEQ_OPS} ops/round, alternating; enableAutoPipelining ${ap})`);
    console.log(row('transport.publish p50', summary(pub.p50), f1));
    console.log(row('raw XADD p50', summary(xadd.p50), f1));
    console.log(row('transport.publish p99', summary(pub.p99), f1));
    console.log(row('raw XADD p99', summary(xadd.p99), f1));
    const ratios = pub.p50.map((p, i) => p / xadd.p50[i]);
    console.log(row('publish / XADD p50 ratio', summary(ratios), (n) => `${n.toFixed(2)}×`));
  }

  const rates = await pipelinedRates();
  console.log(`\n2. pipelined publish (${PIPE_OPS} ops, 1000 in flight)`);
  console.log(row('transport.publish', summary(rates.pub), fk));
  console.log(row('raw XADD', summary(rates.xadd), fk));

  const drained = await drain(100);
  console.log(`\n3. consume + ack, concurrency 100 (${DRAIN_OPS} queued messages, no-op handler; rounds alternate)`);
  console.log(row('transport deliveries acked', summary(drained.transport), fk));
  console.log(row('raw XREADGROUP COUNT 100 + XACK', summary(drained.raw), fk));
  console.log('  (checked: nothing left pending after each round)');

  const e2e = await endToEnd();
  console.log(`\n4. publish → handler start, low load (${LAT_OPS} paired samples, one in flight), µs`);
  console.log(`  transport  p50 ${f1(e2e.p50)}  p99 ${f1(e2e.p99)}`);
  console.log(`  raw XADD → XREADGROUP BLOCK  p50 ${f1(e2e.rawP50)}  p99 ${f1(e2e.rawP99)}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
