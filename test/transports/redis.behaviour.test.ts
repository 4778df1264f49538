/**
 * Redis-specific guarantees beyond the shared conformance suite: history
 * trimming never drops what a group still needs, stale deliveries cannot
 * settle a newer one, crash hand-over between processes, store paging,
 * configuration errors and namespace cleanup.
 */
import { describe, expect, it } from 'vitest';
import { type Cluster, Redis } from 'ioredis';
import { createRuntime, defineFunction, type RunStateChange } from '../../index.js';
import type { Delivery } from '../../core/transport.js';
import { createRedisTransport, createTransport, destroyNamespace, type RedisTransport } from '../../transports/redis/index.js';
import { until } from '../conformance/transport.suite.js';
import { dec, enc, redisNamespaces, sleep, url } from './redis.fixture.js';

const namespace = redisNamespaces('beh');

const streamLength = (t: RedisTransport, ns: string) => t.client.xlen(`{${ns}}:s:events`);

describe('redis transport: history trimming', () => {
  it('never trims entries a group has not read yet, and trims history to maxLen once they are acked', async () => {
    const { ns, open, consume } = namespace();
    const t = await open({ maxLen: 20 });
    // The group exists but nobody reads: everything published stays needed.
    const idle = await consume(t, 'late', () => undefined);
    await idle.stop({ timeoutMs: 0 });
    for (let i = 0; i < 300; i++) await t.publish('events', enc(`m${i}`), { msgId: `m${i}` });
    expect(await streamLength(t, ns)).toBe(300);

    const got = new Set<string>();
    await consume(t, 'late', async (d) => {
      got.add(dec(d.data));
      await d.ack();
    });
    await until(() => got.size === 300, 10_000, 'all 300 after the backlog');
    // Once acked, publishing trims history back to the cap (a blocked trim waits a second before trying again).
    await sleep(1100);
    for (let i = 300; i < 320; i++) await t.publish('events', enc(`m${i}`), { msgId: `m${i}` });
    await until(() => got.size === 320, 10_000, 'the next 20');
    expect(await streamLength(t, ns)).toBeLessThanOrEqual(22);
    const history = await t.history('events', 100);
    expect(history[0].id).toBe('m319');
    expect(history.length).toBeLessThanOrEqual(22);
  });

  it('keeps an entry that is delivered but not acked, so its retry still has the data', async () => {
    const { open, consume } = namespace();
    const t = await open({ maxLen: 10 });
    let held: Delivery | undefined;
    const second: Delivery[] = [];
    await consume(t, 'holder', async (d) => {
      if (d.deliveryCount === 1 && d.id === 'first') held = d;
      else if (d.id === 'first') second.push(d);
      else await d.ack();
    });
    await t.publish('events', enc('payload-of-first'), { msgId: 'first' });
    await until(() => held !== undefined, 5000, 'first delivery');
    for (let i = 0; i < 200; i++) await t.publish('events', enc(`x${i}`), { msgId: `x${i}` });
    await held!.retry(0);
    await until(() => second.length === 1, 5000, 'the retried delivery');
    expect(dec(second[0].data)).toBe('payload-of-first');
    expect(second[0].deliveryCount).toBe(2);
  });
});

describe('redis transport: stale deliveries and crashed workers', () => {
  it('ignores a late settle from a delivery that was reclaimed in the meantime', async () => {
    const { open, consume } = namespace();
    const t = await open();
    const counts: number[] = [];
    let first: Delivery | undefined;
    await consume(
      t,
      'g',
      async (d) => {
        counts.push(d.deliveryCount);
        if (d.deliveryCount === 1)
          first = d; // neither settles nor signs life: reclaimed after 300 ms
        else await d.ack();
      },
      10,
      300,
    );
    await t.publish('events', enc('x'), { msgId: 'late' });
    await until(() => counts.length === 2, 5000, 'the reclaimed delivery');
    // The stale delivery wakes up: none of this may redeliver, throw, or steal the entry back.
    await first!.working();
    await first!.retry(0);
    await first!.deadLetter('stale');
    await first!.ack();
    await sleep(800);
    expect(counts).toEqual([1, 2]);
    expect(await t.deadLetters(10)).toEqual([]);
  });

  it('hands a dead worker’s delivery to a live worker in another process after ackWaitMs', async () => {
    const { open, consume } = namespace();
    const dying = await open();
    const alive = await open();
    const got: { who: string; count: number; at: number }[] = [];
    // The dying worker takes the message and never finishes (as if its process hung or died).
    await consume(
      dying,
      'g',
      (d) => {
        got.push({ who: 'dying', count: d.deliveryCount, at: Date.now() });
        return new Promise(() => {});
      },
      1,
      400,
    );
    await dying.publish('events', enc('job'), { msgId: 'job' });
    await until(() => got.length === 1, 5000, 'first delivery');
    await consume(
      alive,
      'g',
      async (d) => {
        got.push({ who: 'alive', count: d.deliveryCount, at: Date.now() });
        await d.ack();
      },
      5,
      400,
    );
    await until(() => got.some((g) => g.who === 'alive'), 5000, 'reclaimed by the live worker');
    const taken = got.find((g) => g.who === 'alive')!;
    expect(taken.count).toBe(2);
    expect(taken.at - got[0].at).toBeGreaterThanOrEqual(390);
  });

  it('hands back on stop to a member in another process at once', async () => {
    const { open, consume } = namespace();
    const a = await open();
    const b = await open();
    const first: Delivery[] = [];
    const second: Delivery[] = [];
    const stoppable = await consume(
      a,
      'g',
      async (d) => {
        first.push(d);
        await sleep(10_000);
      },
      1,
      60_000,
    );
    await a.publish('events', enc('handoff'), { msgId: 'h' });
    await until(() => first.length === 1, 5000, 'first member got it');
    await consume(
      b,
      'g',
      async (d) => {
        second.push(d);
        await d.ack();
      },
      5,
      60_000,
    );
    const stopped = Date.now();
    await stoppable.stop({ timeoutMs: 50 });
    await until(() => second.length === 1, 5000, 'handed back');
    expect(Date.now() - stopped).toBeLessThan(1000);
    expect(second[0].id).toBe('h');
    expect(second[0].deliveryCount).toBe(2);
  });
});

describe('redis transport: ids, store, configuration, cleanup', () => {
  it('gives messages published without msgId an id (entry id, or a uuid when delayed)', async () => {
    const { open, consume } = namespace();
    const t = await open();
    const ids: string[] = [];
    await consume(t, 'g', async (d) => {
      ids.push(d.id);
      await d.ack();
    });
    expect((await t.publish('events', enc('plain'))).duplicate).toBe(false);
    await t.publish('events', enc('later'), { delayMs: 50 });
    await until(() => ids.length === 2, 5000, 'two deliveries');
    expect(ids[0]).toMatch(/^\d+-\d+$/);
    expect(ids[1]).toMatch(/^[0-9a-f-]{36}$/);
    expect((await t.history('events', 5)).map((h) => h.id)).toEqual([ids[1], ids[0]]);
  });

  it('lists store keys by prefix across pages and keeps revisions monotonic across delete/create', async () => {
    const { open } = namespace();
    const t = await open();
    await Promise.all(Array.from({ length: 1500 }, (_, i) => t.store.create(`run.${i}`, enc('v'))));
    await t.store.create('run', enc('exact prefix, no dot'));
    await t.store.create('runs.x', enc('other'));
    await t.store.create('run.ünï', enc('utf8'));
    const keys = await t.store.keys('run.');
    expect(keys).toHaveLength(1501);
    expect(new Set(keys).size).toBe(1501);
    expect(keys).toContain('run.ünï');
    const r1 = (await t.store.create('k', enc('1')))!;
    await t.store.delete('k');
    const r2 = (await t.store.create('k', enc('2')))!;
    expect(r2).toBeGreaterThan(r1);
    expect(await t.store.update('k', enc('stale'), r1)).toBeUndefined();
  });

  it('rejects a bad namespace or option with a clear error', () => {
    expect(() => createRedisTransport({ namespace: 'has space' })).toThrow(/namespace "has space" is invalid; use letters, digits/);
    expect(() => createRedisTransport({ namespace: 'a{b}' })).toThrow(/hash tag/);
    expect(() => createRedisTransport({ commandTimeoutMs: 0 })).toThrow(/commandTimeoutMs must be a positive/);
    expect(() => createRedisTransport({ cluster: [] })).toThrow(/cluster must be a non-empty list of seed nodes/);
    expect(() => createRedisTransport({ cluster: ['redis://127.0.0.1:7000'], url })).toThrow(/give url \(one server\) or cluster/);
    const client = new Redis(url, { lazyConnect: true });
    expect(() => createRedisTransport({ cluster: ['redis://127.0.0.1:7000'], redis: client })).toThrow(
      /a client of your own goes alone in redis/,
    );
    client.disconnect();
    expect(() => createRedisTransport({ url: 'redis+cluster://' })).toThrow(
      /is malformed: a Redis Cluster is redis\+cluster:\/\/\[user:password@\]host:port,host:port/,
    );
    expect(() => createRedisTransport({ url: 'redis+cluster://10.0.0.1:6379,10.0.0.2:99999' })).toThrow(
      /"10.0.0.2:99999" is not host:port/,
    );
    const tls = createRedisTransport({ url: 'rediss+cluster://app:p%40ss@10.0.0.1:7000,10.0.0.2', namespace: 'parsed' });
    expect(tls.client.isCluster).toBe(true);
    expect((tls.client as Cluster).options.redisOptions).toMatchObject({ username: 'app', password: 'p@ss', tls: {} });
    void tls.close();
    const t = createTransport({ url, namespace: 'factory' });
    expect(t.kind).toBe('redis');
    expect(t.durable).toBe(true);
  });

  it('removes every key of a namespace and nothing of another', async () => {
    const one = namespace();
    const two = namespace();
    const a = await one.open();
    const b = await two.open();
    const reader = await one.consume(a, 'g', async (d) => d.retry(10_000));
    await a.publish('events', enc('x'), { msgId: 'x' });
    await a.publish('events', enc('y'), { msgId: 'y', delayMs: 60_000 });
    await a.store.create('k', enc('v'));
    await b.store.create('k', enc('v'));
    const redis = new Redis(url);
    try {
      await until(async () => (await redis.exists(`{${one.ns}}:z:events:g`)) === 1, 5000, 'a scheduled retry');
      expect((await redis.keys(`{${one.ns}}:*`)).length).toBeGreaterThan(4);
      // Destroying does not stop a transport still using the namespace: a live reader would recreate its streams.
      await reader.stop({ timeoutMs: 1000 });
      await a.close();
      await destroyNamespace(redis, one.ns);
      expect(await redis.keys(`{${one.ns}}:*`)).toEqual([]);
      expect(await redis.keys(`{${two.ns}}:*`)).not.toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});

describe('redis transport: broadcasts', () => {
  it('a watcher whose connection drops catches up on every broadcast it missed, in order', async () => {
    const { ns, open } = namespace();
    const sender = await open();
    const watcher = await open();
    const got: string[] = [];
    await watcher.watch('runs', (d) => void got.push(dec(d)));
    for (let i = 0; i < 50; i++) await sender.broadcast('runs', enc(`c${i}`));
    await until(() => got.length === 50, 5_000, 'the first 50');

    const clients = String(await sender.client.client('LIST')).split('\n');
    const ids = clients.filter((line) => line.includes(`name=eventide:watch:{${ns}}:`)).map((line) => /\bid=(\d+)/.exec(line)?.[1]);
    expect(ids).toHaveLength(1);
    await sender.client.client('KILL', 'ID', ids[0] as string);
    // Sent while the watcher is cut off and reconnecting.
    for (let i = 50; i < 100; i++) await sender.broadcast('runs', enc(`c${i}`));

    await until(() => got.length === 100, 10_000, 'all 100 after the reconnect');
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `c${i}`));
  });

  it('keeps about broadcastMaxLen entries per channel', async () => {
    const { ns, open } = namespace();
    const t = await open({ broadcastMaxLen: 100 });
    for (let i = 0; i < 1_000; i++) await t.broadcast('runs', enc(`c${i}`));
    const length = await t.client.xlen(`{${ns}}:ch:runs`);
    expect(length).toBeGreaterThanOrEqual(100);
    // MAXLEN ~ trims whole radix-tree nodes, so it may keep somewhat more than asked, never the whole history.
    expect(length).toBeLessThan(300);
    expect(() => createRedisTransport({ url, namespace: ns, broadcastMaxLen: 0 })).toThrow(TypeError);
  });
});

describe('redis transport: values that expire', () => {
  it('a write with expireMs goes after that long, leaves the key listing, and a later plain write keeps a value for good', async () => {
    const { ns, open } = namespace();
    const t = await open();
    expect(t.store.expires).toBe(true);
    const kv = (k: string) => `{${ns}}:kv:${k}`;
    await t.store.create('run.gone', enc('a'), { expireMs: 150 });
    const kept = await t.store.create('run.kept', enc('b'), { expireMs: 150 });
    const ttl = await t.client.pttl(kv('run.gone'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(150);
    // Written again without expireMs: permanent again.
    await t.store.update('run.kept', enc('c'), kept as number);
    expect(await t.client.pttl(kv('run.kept'))).toBe(-1);

    await sleep(300);
    expect(await t.store.get('run.gone')).toBeUndefined();
    // The next expiring write takes what has expired out of the key listing.
    await t.store.create('run.other', enc('d'), { expireMs: 60_000 });
    expect((await t.store.keys('run.')).sort()).toEqual(['run.kept', 'run.other']);
    expect(await t.client.zrange(`{${ns}}:kvexp`, 0, -1)).toEqual(['run.other']);
    // A key that expired can be created again, for good, and stays listed.
    await t.store.create('run.gone', enc('e'));
    await t.store.create('run.x', enc('f'), { expireMs: 60_000 });
    expect((await t.store.keys('run.')).sort()).toEqual(['run.gone', 'run.kept', 'run.other', 'run.x']);
    await t.store.delete('run.x');
    expect(await t.client.zrange(`{${ns}}:kvexp`, 0, -1)).toEqual(['run.other']);
    // Expired, then created again for good before anything reaped it: the reaping after leaves it listed.
    await t.store.create('run.back', enc('g'), { expireMs: 100 });
    await sleep(200);
    await t.store.create('run.back', enc('h'));
    await t.store.create('run.y', enc('i'), { expireMs: 60_000 });
    expect(await t.store.keys('run.back')).toEqual(['run.back']);
    expect(dec((await t.store.get('run.back'))!.value)).toBe('h');
  });
});

describe('redis transport: retention of finished runs', () => {
  it("gives a finished run's record the retention age as a Redis TTL, and a waiting run's none", async () => {
    const { ns, open } = namespace();
    const admin = await open();
    const work = defineFunction({ id: 'work', trigger: { event: 'job/done' } }, async ({ step }) => step.run('one', () => 1));
    const nap = defineFunction({ id: 'nap', trigger: { event: 'job/nap' } }, async ({ step }) => {
      await step.sleep('wait', '1h');
    });
    const rt = createRuntime({ transport: url, namespace: ns, functions: [work, nap], keepFinishedRuns: { age: '5s' } });
    const changes: RunStateChange[] = [];
    rt.on('run', (c) => void changes.push(c));
    await rt.start();
    try {
      await rt.send([
        { name: 'job/done', data: {} },
        { name: 'job/nap', data: {} },
      ]);
      await until(
        () => changes.some((c) => c.to === 'succeeded') && changes.some((c) => c.to === 'sleeping'),
        10_000,
        'one done, one asleep',
      );
      const ttl = (to: string) => admin.client.pttl(`{${ns}}:kv:run.${changes.find((c) => c.to === to)?.runId}`);
      expect(await ttl('succeeded')).toBeGreaterThan(4_000);
      expect(await ttl('succeeded')).toBeLessThanOrEqual(5_000);
      expect(await ttl('sleeping')).toBe(-1);
      // Cancelling finishes a run too.
      await rt.cancel(changes.find((c) => c.to === 'sleeping')?.runId as string);
      expect(await ttl('sleeping')).toBeGreaterThan(4_000);
    } finally {
      await rt.stop();
    }
  });
});
