/**
 * Redis Cluster, beyond the suites every transport runs: a namespace lives in
 * one slot wherever that slot is, and keeps working while its slot moves to
 * another master (resharding) mid-flow.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineFunction, silentLogger, type Runtime } from '../../index.js';
import { createRedisTransport, destroyNamespace } from '../../transports/redis/index.js';
import { until } from '../conformance/transport.suite.js';
import { clusterPerFile } from './cluster-per-file.js';
import { sleep } from './own-redis.js';

const cluster = clusterPerFile();

const runtimes: Runtime[] = [];
const namespaces: string[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.stop({ timeoutMs: 1_000 });
  for (const ns of namespaces.splice(0)) await destroyNamespace({ cluster: cluster.nodes }, ns);
});

const namespaceOn = (master: number) => cluster.namespaceOn(master, 'cl');

async function runtimeOn(ns: string, options: { ackWaitMs?: number } = {}) {
  namespaces.push(ns);
  const done = new Set<string>();
  const fn = defineFunction({ id: 'greet', trigger: { event: 'user/created' } }, async ({ event, step }) => {
    const id = (event.data as { id: string }).id;
    await step.run('greet', () => `hello ${id}`);
    done.add(id);
  });
  const rt = createRuntime({
    logger: silentLogger,
    transport: { kind: 'redis', cluster: cluster.nodes },
    namespace: ns,
    functions: [fn],
    ackWaitMs: options.ackWaitMs ?? 5_000,
  });
  runtimes.push(rt);
  await rt.start();
  return { rt, done };
}

const keysOn = async (master: number, slot: number) => Number(await cluster.admins[master].call('CLUSTER', 'COUNTKEYSINSLOT', slot));

describe('redis transport on Redis Cluster', () => {
  it('runs a namespace on whichever master serves its slot, and destroyNamespace removes its keys there', async () => {
    for (let master = 0; master < cluster.nodes.length; master++) {
      const { ns, slot } = await namespaceOn(master);
      const { rt, done } = await runtimeOn(ns);
      for (let i = 0; i < 20; i++) await rt.send({ name: 'user/created', data: { id: `u${i}` } });
      await until(() => done.size === 20, 10_000, `20 runs on master ${master}`);
      await until(async () => (await rt.listRuns({ status: 'succeeded' })).length === 20, 10_000, 'their records');
      expect(await keysOn(master, slot)).toBeGreaterThan(0);
      await rt.stop();
      expect(await destroyNamespace({ cluster: cluster.nodes }, ns)).toBeGreaterThan(0);
      expect(await keysOn(master, slot)).toBe(0);
    }
  });

  it('takes the cluster as one redis+cluster:// URL, as EVENTIDE_TRANSPORT carries it', async () => {
    const { ns } = await namespaceOn(2);
    namespaces.push(ns);
    const url = `redis+cluster://${cluster.nodes.map((n) => n.replace('redis://', '')).join(',')}`;
    const ran: string[] = [];
    const fn = defineFunction(
      { id: 'greet', trigger: { event: 'user/created' } },
      async ({ event }) => void ran.push((event.data as { id: string }).id),
    );
    const rt = createRuntime({ logger: silentLogger, transport: url, namespace: ns, functions: [fn] });
    runtimes.push(rt);
    await rt.start();
    for (let i = 0; i < 5; i++) await rt.send({ name: 'user/created', data: { id: `u${i}` } });
    await until(() => ran.length === 5, 10_000, '5 runs');
    expect(ran.sort()).toEqual(['u0', 'u1', 'u2', 'u3', 'u4']);
  });

  it('a send waits out a slot left half-moved (TRYAGAIN) for as long as commandTimeoutMs allows, not 1.6 s', async () => {
    const { ns, slot } = await namespaceOn(0);
    namespaces.push(ns);
    const t = createRedisTransport({ cluster: cluster.nodes, namespace: ns, commandTimeoutMs: 5_000 });
    try {
      await t.connect();
      await t.publish('events', new TextEncoder().encode('before'), { msgId: 'm0' });
      const finish = await cluster.startMove(slot, 1);
      // A caller-given id goes through the dedup script: its stream is still on the old master, its marker would be
      // new, so the old master answers TRYAGAIN until the move ends.
      const began = Date.now();
      const sent = t.publish('events', new TextEncoder().encode('during'), { msgId: 'm1' });
      await sleep(2_500);
      await finish();
      await expect(sent).resolves.toEqual({ duplicate: false });
      expect(Date.now() - began).toBeGreaterThanOrEqual(2_500);
      expect((await t.history('events', 10)).map((e) => e.id)).toEqual(['m1', 'm0']);
      expect(await cluster.ownerOf(slot)).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('goes on while its slot moves to another master mid-flow: every event sent has one run, and it succeeds', async () => {
    const { ns, slot } = await namespaceOn(0);
    const { rt, done } = await runtimeOn(ns, { ackWaitMs: 2_000 });
    const sent: string[] = [];
    const refused: unknown[] = [];
    const sender = (async () => {
      const end = Date.now() + 3_000;
      for (let i = 0; Date.now() < end; i++) {
        const id = `u${i}`;
        try {
          await rt.send({ name: 'user/created', data: { id } });
          sent.push(id);
        } catch (err) {
          refused.push(err);
        }
        await sleep(3);
      }
    })();
    await sleep(1_000);
    await cluster.admins[0].config('RESETSTAT');
    await cluster.moveSlot(slot, 1);
    await sender;
    // The old owner turned clients away mid-flow (ASK or TRYAGAIN while keys moved, MOVED after), and they followed.
    const refusals = String(await cluster.admins[0].info('errorstats'));
    const count = (kind: string) => Number(new RegExp(`errorstat_${kind}:count=(\\d+)`).exec(refusals)?.[1] ?? 0);
    expect(count('ASK') + count('TRYAGAIN')).toBeGreaterThan(0);
    expect(count('MOVED')).toBeGreaterThan(0);

    expect(await cluster.ownerOf(slot)).toBe(1);
    expect(refused).toEqual([]);
    expect(sent.length).toBeGreaterThan(100);
    await until(() => sent.every((id) => done.has(id)), 30_000, 'every sent event to run');
    await until(
      async () => (await rt.listRuns({ status: 'succeeded', limit: 10_000 })).length === sent.length,
      10_000,
      'a succeeded record per event',
    );
    const runs = await rt.listRuns({ limit: 10_000 });
    expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([]);
    expect(new Set(runs.map((r) => r.eventId)).size).toBe(sent.length);
    expect(await keysOn(0, slot)).toBe(0);
    expect(await keysOn(1, slot)).toBeGreaterThan(0);
  });
});
