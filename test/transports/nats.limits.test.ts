/**
 * NATS-specific behaviour of slots and rates beyond the conformance cases:
 * processes racing on one key through the server, keys NATS could not take
 * as they are, what stays in the limits bucket, a wake whose commit is lost,
 * and the sweep of idle schedules.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Consumer, SlotWaiter } from '../../core/transport.js';
import { createNatsTransport, destroyNamespace, namesFor, type NatsTransport } from '../../transports/nats/index.js';
import { LimitsBucket } from '../../transports/nats/limits-bucket.js';
import { NatsRates } from '../../transports/nats/rates.js';
import { NatsSlots } from '../../transports/nats/slots.js';
import { until } from '../conformance/transport.suite.js';

const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waiter = (name: string): SlotWaiter => ({ subject: 'wakes', data: enc(name), priority: 0 });
let counter = 0;

describe('NATS transport: slots and rates', () => {
  const transports: NatsTransport[] = [];
  const consumers: Consumer[] = [];
  const namespaces = new Set<string>();

  async function open(ns: string): Promise<NatsTransport> {
    namespaces.add(ns);
    const t = createNatsTransport({ url, namespace: ns, storage: 'memory' });
    await t.connect();
    transports.push(t);
    return t;
  }
  const fresh = () => `lim_${process.pid}_${counter++}`;

  async function wakes(t: NatsTransport): Promise<string[]> {
    const got: string[] = [];
    const c = await t.consume(
      'wakes',
      'w',
      async (d) => {
        got.push(dec(d.data));
        await d.ack();
      },
      { concurrency: 10, ackWaitMs: 30_000 },
    );
    consumers.push(c);
    return got;
  }

  /** The transport's limits bucket, reached as a second process would, on the transport's connection. */
  async function bucketOf(t: NatsTransport): Promise<LimitsBucket> {
    const names = namesFor(t.namespace);
    const nc = t.connection as NonNullable<NatsTransport['connection']>;
    const jsm = await nc.jetstreamManager();
    return new LimitsBucket({
      nc: () => nc,
      jsm: () => jsm,
      request: (subject, data, headers) => nc.request(subject, data, { headers, timeout: 5_000 }),
      stream: names.limitsStream,
      prefix: names.limitsPrefix,
      timeoutMs: 5_000,
    });
  }

  afterEach(async () => {
    for (const c of consumers.splice(0)) await c.stop({ timeoutMs: 100 });
    for (const t of transports.splice(0)) await t.close();
    for (const ns of namespaces) await destroyNamespace(url, ns);
    namespaces.clear();
  });

  it('lets two processes race for the slots of one key without exceeding the limit, and wakes every waiter in turn', async () => {
    const ns = fresh();
    const [a, b] = [await open(ns), await open(ns)];
    const got = await wakes(a);
    const names = Array.from({ length: 24 }, (_, i) => `h${i}`);
    const on = (i: number) => (i % 2 === 0 ? a : b);
    const granted = await Promise.all(names.map((h, i) => on(i).slots.acquire('race', h, 3, 30_000, waiter(h))));
    expect(granted.filter(Boolean)).toHaveLength(3);
    expect(await a.slots.count('race')).toEqual({ held: 3, waiting: 21 });

    // Every holder releases once it has its slot; a wake may come twice (a lost compare-and-set after its publish), so each holder is served once.
    const served = new Set<string>();
    const serve = async (h: string) => {
      if (served.has(h)) return;
      served.add(h);
      const i = names.indexOf(h);
      expect(await on(i).slots.acquire('race', h, 3, 30_000, waiter(h))).toBe(true);
      expect((await a.slots.count('race')).held).toBeLessThanOrEqual(3);
      await on(i + 1).slots.release('race', h);
    };
    await Promise.all(names.filter((_, i) => granted[i]).map(serve));
    let seen = 0;
    await until(
      async () => {
        while (seen < got.length) await serve(got[seen++]);
        return served.size === names.length;
      },
      20_000,
      'every holder served',
    );
    expect(await a.slots.count('race')).toEqual({ held: 0, waiting: 0 });
  });

  it('never lets more than the limit hold at once while two processes acquire, release, die and reclaim at random', async () => {
    const ns = fresh();
    const [a, b] = [await open(ns), await open(ns)];
    const waiting = new Map<string, () => void>();
    const c = await a.consume(
      'wakes',
      'w',
      async (d) => {
        waiting.get(dec(d.data))?.();
        await d.ack();
      },
      { concurrency: 10, ackWaitMs: 30_000 },
    );
    consumers.push(c);
    const leaseMs = 200;
    const limit = 2;
    // What each holder knew it held: from its acquire's answer to its release (or, when it dies, to its lease's end).
    const held: [number, number][] = [];
    let stop = false;
    const reclaimer = (async () => {
      while (!stop) {
        await Promise.all([a.slots.reclaim(), b.slots.reclaim()]);
        await sleep(40);
      }
    })();
    const holder = async (name: string, t: NatsTransport) => {
      for (let round = 0; round < 3; round++) {
        // A new id each round: a holder that died must not find its old, still leased slot again.
        const h = `${name}.${round}`;
        for (let tries = 0; ; tries++) {
          if (tries === 30) throw new Error(`${h} never got a slot`);
          const woken = new Promise<void>((r) => {
            waiting.set(h, r);
            setTimeout(r, 1_000);
          });
          const asked = Date.now();
          if (await t.slots.acquire('f', h, limit, leaseMs, waiter(h))) {
            const from = Date.now();
            if (Math.random() < 0.3) {
              held.push([from, asked + leaseMs]);
            } else {
              await sleep(Math.random() * 40);
              held.push([from, Date.now()]);
              await (Math.random() < 0.5 ? a : b).slots.release('f', h);
            }
            break;
          }
          await woken;
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, (_, i) => holder(`h${i}`, i % 2 === 0 ? a : b)));
    stop = true;
    await reclaimer;
    for (const [from] of held) expect(held.filter(([f, to]) => f <= from && from < to).length).toBeLessThanOrEqual(limit);
    expect(held).toHaveLength(30);
    await sleep(leaseMs + 50);
    await a.slots.reclaim();
    expect(await b.slots.count('f')).toEqual({ held: 0, waiting: 0 });
  });

  it('keeps any string apart as a key of its own, slots and schedules alike', async () => {
    const t = await open(fresh());
    const keys = ['', '.', 'a.b', 'a', 'a b/ü*>', '=2E', 'x'.repeat(500), `${'x'.repeat(500)}y`];
    for (const key of keys) expect(await t.slots.acquire(key, 'h', 1, 30_000)).toBe(true);
    for (const key of keys) expect(await t.slots.acquire(key, 'other', 1, 30_000)).toBe(false);
    for (const key of keys) expect(await t.slots.count(key)).toEqual({ held: 1, waiting: 0 });
    for (const key of keys) expect(await t.rates.reserve(key, 1, 60_000, 0)).toBe(0);
  });

  it('leaves only delete markers in the limits bucket once keys are released and reclaimed, and destroyNamespace removes it', async () => {
    const ns = fresh();
    const t = await open(ns);
    const jsm = await (t.connection as NonNullable<NatsTransport['connection']>).jetstreamManager();
    const stream = namesFor(ns).limitsStream;
    for (let i = 0; i < 5; i++) expect(await t.slots.acquire(`k${i}`, 'h', 1, 100)).toBe(true);
    for (let i = 0; i < 5; i++) await t.slots.release(`k${i}`, 'h');
    await sleep(150);
    // The index still names the keys until reclaim finds them empty; nothing was held, so nothing is freed.
    expect(await t.slots.reclaim()).toBe(0);
    // One marker per slot key; the index shards are gone.
    await until(async () => (await jsm.streams.info(stream)).state.messages === 5, 5_000, 'a limits bucket of markers');
    const subjects = (await jsm.streams.info(stream, { subjects_filter: '>' })).state.subjects ?? {};
    expect(Object.keys(subjects).every((s) => s.startsWith(`${namesFor(ns).limitsPrefix}slot.`))).toBe(true);
    await destroyNamespace(url, ns);
    await expect(jsm.streams.info(stream)).rejects.toThrow(/not found/i);
  });

  it('sends a wake again that a process committed but died before sending; the waiter holds its slot meanwhile', async () => {
    const t = await open(fresh());
    const got = await wakes(t);
    expect(await t.slots.acquire('k', 'a', 1, 30_000)).toBe(true);
    expect(await t.slots.acquire('k', 'b', 1, 30_000, waiter('b'))).toBe(false);
    // A process that dies after committing the release (b holds the slot, its wake owed) and before sending the wake.
    const dying = new NatsSlots(await bucketOf(t), async () => {
      throw new Error('died');
    });
    await expect(dying.release('k', 'a')).rejects.toThrow('died');
    await sleep(200);
    expect(got).toEqual([]);
    // b holds the slot already: a newcomer is refused, and its next change of the key sends the owed wake.
    expect(await t.slots.acquire('k', 'z', 1, 30_000)).toBe(false);
    await until(() => got.length === 1, 5_000, 'the owed wake');
    expect(got).toEqual(['b']);
    expect(await t.slots.acquire('k', 'b', 1, 30_000, waiter('b'))).toBe(true);
    expect(await t.slots.count('k')).toEqual({ held: 1, waiting: 0 });
    await sleep(200);
    expect(got).toEqual(['b']);
  });

  it("refuses to park a waiter once the key's state would outgrow the server's payload limit", async () => {
    const t = await open(fresh());
    expect(await t.slots.acquire('k', 'a', 1, 30_000)).toBe(true);
    const big = (name: string): SlotWaiter => ({ subject: 'wakes', data: new Uint8Array(200_000), priority: name.length });
    for (let i = 0; i < 3; i++) expect(await t.slots.acquire('k', `w${i}`, 1, 30_000, big(`w${i}`))).toBe(false);
    await expect(t.slots.acquire('k', 'w-last', 1, 30_000, big('w-last'))).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    // What was parked stays parked.
    expect(await t.slots.count('k')).toEqual({ held: 1, waiting: 3 });
  });

  it('gives reservations from two processes each their own start', async () => {
    const ns = fresh();
    const [a, b] = [await open(ns), await open(ns)];
    const delays = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).rates.reserve('c', 10, 10_000, 0)));
    expect(delays.map((d) => Math.round(d / 1_000)).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('sweeps away schedules whose time has passed, and only those', async () => {
    const t = await open(fresh());
    const rates = new NatsRates(await bucketOf(t));
    expect(await rates.reserve('idle', 1, 100, 0)).toBe(0);
    expect(await rates.reserve('booked', 1, 60_000, 0)).toBe(0);
    expect(await rates.reserve('booked', 1, 60_000, 0)).toBeGreaterThan(59_000);
    await sleep(150);
    expect(await rates.sweep()).toBe(1);
    expect(await rates.reserve('booked', 1, 60_000, 0)).toBeGreaterThan(119_000);
    expect(await rates.reserve('idle', 1, 100, 0)).toBe(0);
  });
});
