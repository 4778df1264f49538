/**
 * @module
 * The critical-path cost of send(): runtime.send() on a producer-only
 * runtime, next to the transport's raw client op (its floor) and, on Redis,
 * BullMQ's Queue.add, all in one process and the same rounds.
 */
import { bullQueues } from './bullmq-queues.js';
import type { CaseSpec } from './case-spec.js';
import { uniqueNamespace, urls, type TransportKind } from './env.js';
import { eventBytes, signupEvent } from './signup-event.js';
import { startProducer } from './start-runtime.js';
import { rounds, type Distribution, type Rounds } from './stats.js';
import { benchOps, timedLoop, type Op } from './timing-harness.js';

export interface RawOp extends Op {
  close: () => Promise<void>;
}

/** The transport's own cheapest durable write, without eventide. */
export async function rawOp(kind: TransportKind): Promise<RawOp> {
  const bytes = eventBytes();
  if (kind === 'memory') {
    const noop = async (_b: Uint8Array) => undefined;
    return { name: 'no-op async fn', fn: () => noop(bytes), close: async () => {} };
  }
  const namespace = uniqueNamespace(`raw${kind}`);
  if (kind === 'redis') {
    const { Redis } = await import('ioredis');
    const client = new Redis(urls.redis, { maxRetriesPerRequest: 1 });
    const key = `${namespace}:raw`;
    return {
      name: 'ioredis XADD',
      fn: () => client.xadd(key, 'MAXLEN', '~', '10000', '*', 'd', Buffer.from(bytes)),
      close: async () => {
        await client.del(key).catch(() => undefined);
        client.disconnect();
      },
    };
  }
  const { connect } = await import('nats');
  const nc = await connect({ servers: urls.nats.replace(/^nats:\/\//, ''), noAsyncTraces: true });
  const jsm = await nc.jetstreamManager();
  const subject = `${namespace}.raw`;
  await jsm.streams.add({ name: `${namespace}_raw`, subjects: [subject], max_msgs: 100_000 });
  const js = nc.jetstream();
  return {
    name: 'js.publish (noAsyncTraces)',
    fn: () => js.publish(subject, bytes),
    close: async () => {
      await jsm.streams.delete(`${namespace}_raw`).catch(() => undefined);
      await nc.close();
    },
  };
}

export interface SendCaseResult {
  /** µs per op (benchmark.js), by op key: raw, send, and on Redis bullmqAdd, bullmqAdd3. */
  ops: Record<string, Rounds & { rme: number }>;
  /** Display name of each op key. */
  names: Record<string, string>;
  /** Sequential timed loop, µs: p50 and p99 of each round. */
  loops: Record<string, { p50: Rounds; p99: Rounds }>;
}

export async function sendCase(spec: Extract<CaseSpec, { case: 'send' }>): Promise<SendCaseResult> {
  const kind: TransportKind = spec.kind === 'bullmq-only' ? 'redis' : spec.kind;
  const raw = await rawOp(kind);
  const closers: (() => Promise<void>)[] = [raw.close];
  const event = signupEvent();
  const names: Record<string, string> = { raw: raw.name };
  const ops: Op[] = [{ name: 'raw', fn: raw.fn }];
  try {
    if (spec.kind !== 'bullmq-only') {
      const producer = await startProducer(spec.kind, `send${spec.kind}`);
      closers.unshift(producer.stop);
      ops.push({ name: 'send', fn: () => producer.runtime.send(event) });
      names.send = 'runtime.send()';
    }
    if (spec.bullmq) {
      const q = await bullQueues('bullsend', 3);
      closers.unshift(q.close);
      const [a, b, c] = q.queues;
      const opts = { removeOnComplete: true, removeOnFail: true };
      const data = event.data;
      ops.push({ name: 'bullmqAdd', fn: () => a.add('user/created', data, opts) });
      ops.push({
        name: 'bullmqAdd3',
        fn: () =>
          Promise.all([a.add('start-trial', data, opts), b.add('send-welcome-email', data, opts), c.add('add-to-newsletter', data, opts)]),
      });
      names.bullmqAdd = 'BullMQ Queue.add';
      names.bullmqAdd3 = 'BullMQ 3× Queue.add (3 queues)';
    }
    process.stderr.write(`benchmark.js: ${ops.map((o) => names[o.name]).join(', ')}\n`);
    const measured = await benchOps(ops, { rounds: spec.rounds, maxTime: spec.maxTime });
    const loopRounds: Record<string, Distribution[]> = {};
    const loopOps: Op[] = [...ops];
    for (let r = 0; r < spec.rounds; r++) {
      for (const op of loopOps) {
        const n = op.name.startsWith('bullmq') || kind !== 'memory' ? (spec.durableLoop ?? 1_000) : spec.loop;
        (loopRounds[op.name] ??= []).push(await timedLoop(() => op.fn(), n, Math.min(n, 500)));
      }
    }
    const loops: SendCaseResult['loops'] = {};
    for (const [k, ds] of Object.entries(loopRounds)) loops[k] = { p50: rounds(ds.map((d) => d.p50)), p99: rounds(ds.map((d) => d.p99)) };
    return { ops: measured, names, loops };
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
}
