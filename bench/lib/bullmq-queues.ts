/**
 * @module
 * BullMQ on the same Redis as the Redis transport, the comparison in the
 * send, throughput and latency cases.
 */
import { cleanupNamespace, uniqueNamespace, urls } from './env.js';

export function bullConnection(): { host: string; port: number; maxRetriesPerRequest: null } {
  const u = new URL(urls.redis);
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || 6379), maxRetriesPerRequest: null };
}

export async function bullQueues(tag: string, count: number) {
  const { Queue } = await import('bullmq');
  const namespace = uniqueNamespace(tag);
  const queues = Array.from({ length: count }, (_, i) => new Queue(`${namespace}_q${i}`, { connection: bullConnection() }));
  await Promise.all(queues.map((q) => q.waitUntilReady()));
  return {
    namespace,
    queues,
    close: async () => {
      for (const q of queues) {
        await q.obliterate({ force: true }).catch(() => undefined);
        await q.close().catch(() => undefined);
      }
      await cleanupNamespace('bullmq', namespace).catch(() => undefined);
    },
  };
}

export const jobOpts = { removeOnComplete: true, removeOnFail: true };
