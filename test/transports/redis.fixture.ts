/**
 * Namespaces for the Redis-specific tests: each test opens transports and
 * consumers on its own namespace, and everything is stopped, closed and
 * deleted after it.
 */
import { afterEach } from 'vitest';
import type { Consumer, Delivery } from '../../core/transport.js';
import { createRedisTransport, destroyNamespace, type RedisTransport, type RedisTransportOptions } from '../../transports/redis/index.js';

export const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const enc = (s: string) => new TextEncoder().encode(s);
export const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Call once per test file; returns `namespace()`, which each test calls for a fresh one. */
export function redisNamespaces(prefix: string, defaults: RedisTransportOptions = {}) {
  let n = 0;
  const opened: { transports: RedisTransport[]; consumers: Consumer[]; ns: string }[] = [];
  afterEach(async () => {
    for (const { transports, consumers, ns } of opened.splice(0)) {
      for (const c of consumers) await c.stop({ timeoutMs: 100 });
      for (const t of transports) await t.close();
      await destroyNamespace(url, ns);
    }
  });
  return function namespace() {
    const ns = `${prefix}_${process.pid}_${Date.now().toString(36)}_${n++}`;
    const entry = { transports: [] as RedisTransport[], consumers: [] as Consumer[], ns };
    opened.push(entry);
    const open = async (options: RedisTransportOptions = {}) => {
      const t = createRedisTransport({ url, namespace: ns, ...defaults, ...options });
      await t.connect();
      entry.transports.push(t);
      return t;
    };
    const consume = async (t: RedisTransport, group: string, handler: (d: Delivery) => unknown, concurrency = 10, ackWaitMs = 30_000) => {
      const c = await t.consume('events', group, async (d) => void (await handler(d)), { concurrency, ackWaitMs });
      entry.consumers.push(c);
      return c;
    };
    return { ns, open, consume, consumers: entry.consumers };
  };
}
