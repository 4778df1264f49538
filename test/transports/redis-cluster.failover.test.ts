/**
 * A master of the Redis Cluster dies (kill -9) while events flow: its replica
 * takes over its slots and the runtime goes on there. Replication is
 * asynchronous, so what the dead master acknowledged last may be gone (the
 * README says so); what must hold is that nothing hangs, a send either
 * resolves or rejects with a TransportError, and every event accepted once
 * the replica serves the slot runs to success.
 */
import { describe, expect, it } from 'vitest';
import { createRuntime, defineFunction, silentLogger } from '../../index.js';
import { TransportError } from '../../core/transport.js';
import { destroyNamespace } from '../../transports/redis/index.js';
import { until } from '../conformance/transport.suite.js';
import { clusterPerFile } from './cluster-per-file.js';
import { sleep } from './own-redis.js';

const cluster = clusterPerFile({ masters: 3, replicas: 1, nodeTimeoutMs: 1000 });

describe('redis transport on Redis Cluster when a master fails over', () => {
  it('goes on on the promoted replica: sends resolve or reject clearly, and every event accepted after the takeover runs', async () => {
    const { ns, slot } = await cluster.namespaceOn(0, 'fo');
    const done = new Set<string>();
    const fn = defineFunction({ id: 'greet', trigger: { event: 'user/created' } }, async ({ event, step }) => {
      const id = (event.data as { id: string }).id;
      await step.run('greet', () => `hello ${id}`);
      done.add(id);
    });
    const rt = createRuntime({
      logger: silentLogger,
      transport: { kind: 'redis', cluster: cluster.nodes, commandTimeoutMs: 2_000 },
      namespace: ns,
      functions: [fn],
      ackWaitMs: 2_000,
    });
    await rt.start();
    try {
      const accepted: { id: string; at: number }[] = [];
      const refused: unknown[] = [];
      let slowest = 0;
      let takenOverAt = Infinity;
      const sender = (async () => {
        for (let i = 0; Date.now() < takenOverAt + 2_000; i++) {
          const id = `u${i}`;
          const began = Date.now();
          try {
            await rt.send({ name: 'user/created', data: { id } });
            accepted.push({ id, at: began });
          } catch (err) {
            refused.push(err);
          }
          slowest = Math.max(slowest, Date.now() - began);
          await sleep(5);
        }
      })();
      await sleep(800);
      await cluster.kill(0);
      // The replica of master 0 is node 3.
      await until(async () => (await cluster.ownerOf(slot).catch(() => -1)) === 3, 20_000, 'the replica to take the slot over');
      takenOverAt = Date.now();
      await sender;

      for (const err of refused) expect(err).toBeInstanceOf(TransportError);
      // Never hangs: redirections and all, a send waits at most its command timeout (2 s here).
      expect(slowest).toBeLessThan(3_000);
      const after = accepted.filter((a) => a.at > takenOverAt);
      expect(after.length).toBeGreaterThan(50);
      await until(() => after.every((a) => done.has(a.id)), 30_000, 'every event accepted after the takeover to run');
    } finally {
      await rt.stop({ timeoutMs: 1_000 });
      await destroyNamespace({ cluster: cluster.nodes.filter((_, i) => i !== 0) }, ns);
    }
  });
});
