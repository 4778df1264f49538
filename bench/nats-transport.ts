/**
 * NATS transport overhead, side by side with the raw nats.js client on the
 * same server and the same connection options:
 *   - sequential publish latency (p50/p99): transport.publish vs js.publish,
 *     alternating rounds, min/median/max of the per-round p50 and p99;
 *   - pipelined publish rate (many publishes in flight);
 *   - consume + ack throughput through the transport.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/nats-transport.js [nats://127.0.0.1:4222]
 * Env: ROUNDS (5), N (5000 publishes per round), PIPELINE (20000), WINDOW (256 in flight), CONCURRENCY (256).
 */
import { connect, type JetStreamClient, type NatsConnection } from 'nats';
import { createNatsTransport, destroyNamespace, type NatsTransport } from '../transports/nats/index.js';

const url = process.argv[2] ?? process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const rounds = Number(process.env.ROUNDS ?? 5);
const n = Number(process.env.N ?? 5_000);
const pipelineN = Number(process.env.PIPELINE ?? 20_000);
const windowSize = Number(process.env.WINDOW ?? 256);
const concurrency = Number(process.env.CONCURRENCY ?? 256);
const payload = new TextEncoder()
  .encode(JSON.stringify({ name: 'user/created', data: { userId: 'u_0123456789', plan: 'pro', source: 'signup-form' }, ts: Date.now() }))
  .slice(0, 125);

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

async function sequential(publish: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await publish(i);
    times[i] = Number(process.hrtime.bigint() - t0) / 1_000;
  }
  times.sort();
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function pipelined(publish: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < pipelineN) await publish(next++);
  };
  await Promise.all(Array.from({ length: windowSize }, lane));
  return pipelineN / ((performance.now() - t0) / 1_000);
}

const fmt = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[0].toFixed(0)} / ${s[Math.floor(s.length / 2)].toFixed(0)} / ${s[s.length - 1].toFixed(0)}`;
};

async function main(): Promise<void> {
  const ns = `bench_${process.pid}`;
  const transport: NatsTransport = createNatsTransport({ url, namespace: ns, storage: 'file' });
  await transport.connect();
  // Raw baseline: its own connection with the same options the transport uses, publishing to the transport's stream.
  const nc: NatsConnection = await connect({ servers: url, noAsyncTraces: true, maxReconnectAttempts: -1 });
  const js: JetStreamClient = nc.jetstream();
  const subject = `${ns}.events`;
  let id = 0;
  const viaTransport = () => transport.publish('events', payload, { msgId: `t${id++}` });
  const viaRaw = () => js.publish(subject, payload, { msgID: `r${id++}` });

  // Warm both paths up (JIT, connection buffers).
  await sequential(viaTransport);
  await sequential(viaRaw);

  const t = { p50: [] as number[], p99: [] as number[] };
  const r = { p50: [] as number[], p99: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const first = round % 2 === 0;
    const a = await sequential(first ? viaTransport : viaRaw);
    const b = await sequential(first ? viaRaw : viaTransport);
    const [tr, rr] = first ? [a, b] : [b, a];
    t.p50.push(tr.p50);
    t.p99.push(tr.p99);
    r.p50.push(rr.p50);
    r.p99.push(rr.p99);
  }
  const ratio = t.p50.map((x, i) => x / r.p50[i]);

  const pipeT: number[] = [];
  const pipeR: number[] = [];
  for (let round = 0; round < Math.max(3, Math.floor(rounds / 2)); round++) {
    pipeT.push(await pipelined(viaTransport));
    pipeR.push(await pipelined(viaRaw));
  }

  // Consume + ack everything published so far, then a fresh batch, timing from the first delivery.
  const total = (await js.publish(subject, payload)).seq;
  let received = 0;
  let firstAt = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  const consumer = await transport.consume(
    'events',
    'bench',
    (d) => {
      if (received++ === 0) firstAt = performance.now();
      if (received === total) done();
      return d.ack();
    },
    { concurrency, ackWaitMs: 30_000 },
  );
  await all;
  const consumeRate = (total - 1) / ((performance.now() - firstAt) / 1_000);
  await consumer.stop({ timeoutMs: 1_000 });

  console.log(`NATS transport bench — server ${url}, ${nc.info?.version}, payload ${payload.length} B, file storage, noAsyncTraces`);
  console.log(`sequential publish, ${n} per round × ${rounds} rounds, alternating (µs, min / median / max over rounds):`);
  console.log(`  transport.publish  p50 ${fmt(t.p50)}   p99 ${fmt(t.p99)}`);
  console.log(`  raw js.publish     p50 ${fmt(r.p50)}   p99 ${fmt(r.p99)}`);
  console.log(`  ratio transport/raw p50: ${fmt(ratio.map((x) => x * 100))} (% , per round)`);
  console.log(`pipelined publish, ${pipelineN} with ${windowSize} in flight (msg/s, min / median / max):`);
  console.log(`  transport.publish  ${fmt(pipeT)}`);
  console.log(`  raw js.publish     ${fmt(pipeR)}`);
  console.log(`consume + ack through the transport, concurrency ${concurrency}: ${total} messages, ${consumeRate.toFixed(0)} msg/s`);

  await transport.close();
  await nc.close();
  await destroyNamespace(url, ns);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
