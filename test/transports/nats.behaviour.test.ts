/**
 * NATS-specific behaviour beyond the shared conformance suite: delayed
 * publishes through the scheduler, sharing a group between connections
 * (processes), stopping an idle member, retry delays that must not stall a
 * group, names that need escaping, and the options' checks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { createRuntime, defineFunction, silentLogger } from '../../index.js';
import type { Consumer, Delivery } from '../../core/transport.js';
import { createNatsTransport, createTransport, destroyNamespace, type NatsTransport } from '../../transports/nats/index.js';
import { until } from '../conformance/transport.suite.js';

const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let counter = 0;

describe('NATS transport behaviour', () => {
  const transports: NatsTransport[] = [];
  const consumers: Consumer[] = [];
  const namespaces = new Set<string>();

  async function open(ns: string, options: Parameters<typeof createNatsTransport>[0] = {}): Promise<NatsTransport> {
    namespaces.add(ns);
    const t = createNatsTransport({ url, namespace: ns, storage: 'memory', ...options });
    await t.connect();
    transports.push(t);
    return t;
  }
  const fresh = () => `beh_${process.pid}_${counter++}`;
  async function consume(
    t: NatsTransport,
    group: string,
    handler: (d: Delivery) => unknown,
    opts: { concurrency?: number; ackWaitMs?: number } = {},
  ) {
    const c = await t.consume('events', group, async (d) => void (await handler(d)), {
      concurrency: opts.concurrency ?? 10,
      ackWaitMs: opts.ackWaitMs ?? 30_000,
    });
    consumers.push(c);
    return c;
  }

  /** A group 'g' member that acks everything and keeps the payloads as text, in arrival order. */
  async function collect(t: NatsTransport): Promise<string[]> {
    const got: string[] = [];
    await consume(t, 'g', async (d) => {
      got.push(dec(d.data));
      await d.ack();
    });
    return got;
  }

  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.stop({ timeoutMs: 100 });
    for (const t of transports.splice(0)) await t.close();
    for (const ns of namespaces) await destroyNamespace(url, ns);
    namespaces.clear();
  });

  it('checks its options with clear errors', () => {
    expect(() => createNatsTransport({ namespace: 'bad.name' })).toThrow(ConfigError);
    expect(() => createNatsTransport({ namespace: 'bad.name' })).toThrow(/namespace "bad.name" is not usable/);
    expect(() => createNatsTransport({ namespace: 'ok', storage: 'disk' as 'file' })).toThrow(/storage must be 'file' or 'memory'/);
    expect(() => createNatsTransport({ publishTimeoutMs: 0 })).toThrow(/publishTimeoutMs must be a positive number/);
    const t = createTransport({ url, namespace: 'factory', kind: 'nats' });
    expect(t.kind).toBe('nats');
    expect(t.durable).toBe(true);
  });

  it('delivers a delayed message once, at its due time, with deliveryCount 1, and lists it only then', async () => {
    const t = await open(fresh());
    const seen: { at: number; n: number; id: string }[] = [];
    await consume(t, 'g', async (d) => {
      seen.push({ at: Date.now(), n: d.deliveryCount, id: d.id });
      await d.ack();
    });
    const sent = Date.now();
    expect((await t.publish('events', enc('later'), { msgId: 'late-1', delayMs: 500 })).duplicate).toBe(false);
    expect((await t.publish('events', enc('later'), { msgId: 'late-1', delayMs: 500 })).duplicate).toBe(true);
    await t.publish('events', enc('soon'), { msgId: 'soon-1', delayMs: 100 });
    expect(await t.history('events', 10)).toEqual([]);
    await until(() => seen.length === 2, 10_000, 'both delayed deliveries');
    expect(seen.map((s) => s.id)).toEqual(['soon-1', 'late-1']);
    expect(seen.map((s) => s.n)).toEqual([1, 1]);
    expect(seen[1].at - sent).toBeGreaterThanOrEqual(480);
    expect(seen[1].at - sent).toBeLessThan(1_500);
    await sleep(300);
    expect(seen).toHaveLength(2);
    expect((await t.history('events', 10)).map((h) => h.id)).toEqual(['late-1', 'soon-1']);
  });

  it('keeps delayed messages waiting while no process consumes, and delivers them when one starts', async () => {
    const ns = fresh();
    const producer = await open(ns);
    await producer.publish('events', enc('parked'), { msgId: 'p1', delayMs: 50 });
    await sleep(300);
    const worker = await open(ns);
    const got = await collect(worker);
    await until(() => got.length === 1, 10_000, 'parked delivery');
    expect(got).toEqual(['parked']);
  });

  it('shares one group between two connections (processes), each message once', async () => {
    const ns = fresh();
    const a = await open(ns);
    const b = await open(ns);
    const byA: string[] = [];
    const byB: string[] = [];
    const slow = (into: string[]) => async (d: Delivery) => {
      into.push(dec(d.data));
      await sleep(5);
      await d.ack();
    };
    await consume(a, 'shared', slow(byA), { concurrency: 2 });
    await consume(b, 'shared', slow(byB), { concurrency: 2 });
    const n = 60;
    await Promise.all(Array.from({ length: n }, (_, i) => a.publish('events', enc(`s${i}`), { msgId: `s${i}` })));
    await until(() => byA.length + byB.length >= n, 15_000, 'all shared deliveries');
    await sleep(200);
    expect(new Set([...byA, ...byB]).size).toBe(n);
    expect(byA.length + byB.length).toBe(n);
    expect(byA.length).toBeGreaterThan(0);
    expect(byB.length).toBeGreaterThan(0);
  });

  it('strands nothing when an idle member stops: its waiting pull requests die with it', async () => {
    const ns = fresh();
    const t = await open(ns);
    const idle = await consume(t, 'g', async () => undefined, { concurrency: 50 });
    await sleep(100);
    await idle.stop({ timeoutMs: 100 });
    const got = await collect(t);
    for (let i = 0; i < 20; i++) await t.publish('events', enc(`i${i}`), { msgId: `i${i}` });
    // Well under the 30 s ack wait: nothing went to the stopped member.
    await until(() => got.length === 20, 5_000, 'all to the live member');
  });

  it('does not let messages waiting out a retry delay hold up the rest of the group', async () => {
    const t = await open(fresh());
    const done: string[] = [];
    await consume(
      t,
      'g',
      async (d) => {
        const body = dec(d.data);
        if (body.startsWith('wait')) return d.retry(60_000);
        done.push(body);
        await d.ack();
      },
      { concurrency: 2 },
    );
    for (let i = 0; i < 5; i++) await t.publish('events', enc(`wait${i}`), { msgId: `w${i}` });
    for (let i = 0; i < 5; i++) await t.publish('events', enc(`go${i}`), { msgId: `g${i}` });
    await until(() => done.length === 5, 5_000, 'the messages behind the waiting ones');
  });

  it('hands every unsettled delivery back on stop, counting the hand-back as a delivery', async () => {
    const ns = fresh();
    const t = await open(ns);
    const first: Delivery[] = [];
    const a = await consume(
      t,
      'g',
      async (d) => {
        first.push(d);
        await sleep(60_000);
      },
      { concurrency: 3 },
    );
    for (let i = 0; i < 3; i++) await t.publish('events', enc(`h${i}`), { msgId: `h${i}` });
    await until(() => first.length === 3, 5_000, 'three in flight');
    await a.stop({ timeoutMs: 50 });
    const second: Delivery[] = [];
    await consume(t, 'g', async (d) => {
      second.push(d);
      await d.ack();
    });
    await until(() => second.length === 3, 5_000, 'handed back');
    expect(second.map((d) => d.deliveryCount)).toEqual([2, 2, 2]);
    // A late ack from the stopped member's handler is ignored, not an error.
    await expect(first[0].ack()).resolves.toBe(true);
  });

  it('recreates its consumer when it is deleted from under it', async () => {
    const ns = fresh();
    const t = await open(ns);
    const got = await collect(t);
    await t.publish('events', enc('before'), { msgId: 'b1' });
    await until(() => got.length === 1, 5_000, 'first delivery');
    const jsm = await t.connection!.jetstreamManager();
    await jsm.consumers.delete(`${ns}_events`, 'g__events');
    await t.publish('events', enc('after'), { msgId: 'a1' });
    // Recreated from the start of the stream: at least once, so 'before' may come again.
    await until(() => got.includes('after'), 10_000, 'delivery after the consumer was recreated');
  });

  it('keeps message ids that headers cannot carry as they are', async () => {
    const t = await open(fresh());
    const ids = [' spaced ', 'line\nbreak', '~u:marker', 'ünïcode id'];
    const got: string[] = [];
    await consume(t, 'g', async (d) => {
      got.push(d.id);
      await d.ack();
    });
    for (const id of ids) expect((await t.publish('events', enc(id), { msgId: id })).duplicate).toBe(false);
    for (const id of ids) expect((await t.publish('events', enc(id), { msgId: id })).duplicate).toBe(true);
    await until(() => got.length === ids.length, 5_000, 'all deliveries');
    expect(got).toEqual(ids);
    expect((await t.history('events', 10)).map((h) => h.id)).toEqual([...ids].reverse());
  });

  it('stores keys with characters NATS subjects do not allow, and lists them by prefix', async () => {
    const t = await open(fresh());
    const odd = ['run.a b', 'run.x..y', 'run.', '.lead', 'run.ünï/*>', 'run.=2E', 'runner'];
    for (const k of odd) expect(await t.store.create(k, enc(k))).toBeDefined();
    for (const k of odd) expect(dec((await t.store.get(k))!.value)).toBe(k);
    expect((await t.store.keys('run.')).sort()).toEqual(['run.', 'run.=2E', 'run.a b', 'run.x..y', 'run.ünï/*>'].sort());
    expect((await t.store.keys('run')).sort()).toEqual([...odd.filter((k) => k.startsWith('run'))].sort());
    expect(await t.store.keys('nothing.')).toEqual([]);
    await t.store.delete('run.a b');
    expect(await t.store.get('run.a b')).toBeUndefined();
    expect(await t.store.keys('run.a')).toEqual([]);
    // A deleted key can be created again.
    expect(await t.store.create('run.a b', enc('again'))).toBeDefined();
    expect(dec((await t.store.get('run.a b'))!.value)).toBe('again');
  });

  it('brings stream limits and the ack wait of a group in line with the latest process to start', async () => {
    const ns = fresh();
    const a = await open(ns, { maxAge: '1h', duplicateWindowMs: 60_000 });
    await consume(a, 'g', () => undefined, { ackWaitMs: 5_000 });
    const b = await open(ns, { maxAge: '2h', duplicateWindowMs: 30_000 });
    await consume(b, 'g', () => undefined, { ackWaitMs: 7_000 });
    const jsm = await b.connection!.jetstreamManager();
    const stream = await jsm.streams.info(`${ns}_events`);
    expect(stream.config.max_age).toBe(2 * 3_600_000 * 1e6);
    expect(stream.config.duplicate_window).toBe(30_000 * 1e6);
    const [consumer] = await jsm.consumers.list(`${ns}_events`).next();
    expect(consumer.config.ack_wait).toBe(7_000 * 1e6);
    expect(consumer.config.max_ack_pending).toBe(-1);
  });

  it('lists every key once while the keys are being written', async () => {
    const t = await open(fresh());
    const revs = new Map<string, number>();
    for (let i = 0; i < 30; i++) revs.set(`run.k${i}`, (await t.store.create(`run.k${i}`, enc('0')))!);
    await t.store.create('run.gone', enc('x'));
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        const key = `run.k${i % 30}`;
        revs.set(key, (await t.store.update(key, enc(String(i)), revs.get(key)!))!);
      }
    })();
    await t.store.delete('run.gone');
    for (let round = 0; round < 30; round++) {
      const keys = await t.store.keys('run.');
      expect(keys).toHaveLength(30);
      expect(new Set(keys).size).toBe(30);
    }
    writing = false;
    await writer;
  });

  it('lists history of one subject among others, newest first, bounded by what exists', async () => {
    const t = await open(fresh());
    for (let i = 0; i < 30; i++) {
      await t.publish('events', enc(`e${i}`), { msgId: `e${i}` });
      await t.publish('other', enc(`o${i}`), { msgId: `o${i}` });
      await t.publish('other', enc(`p${i}`), { msgId: `p${i}` });
    }
    const recent = await t.history('events', 4);
    expect(recent.map((h) => dec(h.data))).toEqual(['e29', 'e28', 'e27', 'e26']);
    expect(Math.abs(recent[0].at - Date.now())).toBeLessThan(60_000);
    expect(await t.history('events', 100)).toHaveLength(30);
    expect(await t.history('nothing', 10)).toEqual([]);
  });

  it('keeps dead letters newest first with their reason intact', async () => {
    const t = await open(fresh());
    let n = 0;
    await consume(t, 'grp', async (d) => d.deadLetter(`reason ${++n}: ünïcode\nline two`));
    await t.publish('events', enc('d1'), { msgId: 'd1' });
    await until(async () => (await t.deadLetters(10)).length === 1, 5_000, 'first dead letter');
    await t.publish('events', enc('d2'), { msgId: 'd2' });
    await until(async () => (await t.deadLetters(10)).length === 2, 5_000, 'second dead letter');
    const letters = await t.deadLetters(10);
    expect(letters.map((l) => l.id)).toEqual(['d2', 'd1']);
    expect(letters[0]).toMatchObject({ subject: 'events', group: 'grp', reason: 'reason 2: ünïcode\nline two' });
    expect(await t.deadLetters(1)).toHaveLength(1);
  });

  it('keeps each durable subject in its own stream, each message addressed by its topic', async () => {
    const ns = fresh();
    const t = await open(ns);
    const got = await collect(t);
    await t.publish('events', enc('plain'), { msgId: 'a' });
    await t.publish('events', enc('slash'), { msgId: 'b', topic: 'user/created' });
    await t.publish('events', enc('dotted'), { msgId: 'c', topic: 'app/user.created' });
    await t.publish('events', enc('later'), { msgId: 'd', topic: 'user/created', delayMs: 50 });
    // One group sees every topic.
    await until(() => got.length === 4, 5_000, 'four deliveries');
    const jsm = await t.connection!.jetstreamManager();
    const subjects: string[] = [];
    for (let seq = 1; seq <= 4; seq++) subjects.push((await jsm.streams.getMessage(`${ns}_events`, { seq })).subject);
    expect(subjects).toEqual([
      `${ns}.events`,
      `${ns}.events.user=2Fcreated`,
      `${ns}.events.app=2Fuser.created`,
      `${ns}.events.user=2Fcreated`,
    ]);
    expect((await jsm.streams.info(`${ns}_events`)).config.subjects).toEqual([`${ns}.events`, `${ns}.events.>`]);
  });

  it('broadcasts on <ns>.<channel>.<topic>, and a watch sees every topic', async () => {
    const ns = fresh();
    const t = await open(ns);
    const watched: string[] = [];
    await t.watch('runs', (d) => watched.push(dec(d)));
    const raw: string[] = [];
    const sub = t.connection!.subscribe(`${ns}.runs.welcome`, { callback: (_e, m) => raw.push(`${m.subject} ${dec(m.data)}`) });
    await t.connection!.flush();
    await t.broadcast('runs', enc('for welcome'), 'welcome');
    await t.broadcast('runs', enc('for billing'), 'billing');
    await t.broadcast('runs', enc('for all'));
    await until(() => watched.length === 3 && raw.length === 1, 5_000, 'broadcasts');
    sub.unsubscribe();
    expect(watched.sort()).toEqual(['for all', 'for billing', 'for welcome']);
    expect(raw).toEqual([`${ns}.runs.welcome for welcome`]);
  });

  it('refuses a name the namespace uses itself, or one used both as a subject and a channel', async () => {
    const t = await open(fresh());
    await expect(t.publish('delayed', enc('x'))).rejects.toThrow(ConfigError);
    await expect(t.broadcast('dead', enc('x'))).rejects.toThrow(/"dead" cannot be a broadcast channel/);
    await t.publish('orders', enc('x'));
    await expect(t.broadcast('orders', enc('x'))).rejects.toThrow(/both as a durable subject and as a broadcast channel/);
    await t.watch('signals', () => undefined);
    await expect(t.publish('signals', enc('x'))).rejects.toThrow(ConfigError);
  });

  it("puts a runtime's events under <ns>.events.> and its run-state changes on <ns>.runs.<functionId>", async () => {
    const ns = fresh();
    namespaces.add(ns);
    const welcome = defineFunction({ id: 'welcome', trigger: { event: 'user/created' } }, async ({ step }) =>
      step.run('greet', () => 'hi'),
    );
    const rt = createRuntime({
      transport: createNatsTransport({ url, namespace: ns, storage: 'memory' }),
      functions: [welcome],
      logger: silentLogger,
    });
    const observer = await open(ns);
    const changes: string[] = [];
    const sub = observer.connection!.subscribe(`${ns}.runs.welcome`, {
      // Msgpack keeps strings as UTF-8, so the statuses can be read off the bytes.
      callback: (_e, m) => changes.push(`${m.subject} ${Buffer.from(m.data).toString('latin1')}`),
    });
    await observer.connection!.flush();
    try {
      await rt.start();
      const { ids } = await rt.send({ name: 'user/created', data: { id: 1 } });
      await until(async () => (await rt.listRuns({ functionId: 'welcome' }))[0]?.status === 'succeeded', 5_000, 'the run to succeed');
      await until(() => changes.some((c) => c.includes('succeeded')), 5_000, 'the run succeeding, heard on the function subject');
      expect(changes.every((c) => c.startsWith(`${ns}.runs.welcome `))).toBe(true);
      const jsm = await observer.connection!.jetstreamManager();
      const stored = await jsm.streams.getMessage(`${ns}_events`, { last_by_subj: `${ns}.events.user=2Fcreated` });
      expect(stored.header.get('Nats-Msg-Id')).toBe(ids[0]);
    } finally {
      sub.unsubscribe();
      await rt.stop();
    }
  });
});
