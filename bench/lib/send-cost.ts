/**
 * @module
 * The floor under send(): each transport's raw client op, timed next to
 * runtime.send() by the send case.
 */
import { uniqueNamespace, urls, type TransportKind } from './env.js';
import { eventBytes } from './signup-event.js';
import type { Op } from './timing-harness.js';

export interface RawOp extends Op {
  close(): Promise<void>;
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
