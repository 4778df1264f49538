/**
 * The transport conformance suite: one set of behaviours every transport
 * must show, run unchanged against memory, NATS and Redis. A transport file
 * calls `transportConformance({ name, create })` and nothing else.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Consumer, Delivery, Transport } from '../../core/transport.js';
import { backlogConformance } from './backlog.cases.js';
import { indexConformance } from './index.cases.js';
import { limitsConformance } from './limits.cases.js';
import { watchConformance } from './watch.cases.js';

export interface ConformanceOptions {
  name: string;
  /** A fresh, unconnected transport on its own namespace. */
  create: (namespace: string) => Transport | Promise<Transport>;
  /** Removes whatever the namespace left on the server. */
  cleanup?: (namespace: string) => Promise<void>;
  /** Like `create`, with a broadcast window that drops within a few dozen broadcasts or a few seconds. */
  windowed: (namespace: string) => Transport | Promise<Transport>;
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let counter = 0;

export function transportConformance({ name, create, cleanup, windowed }: ConformanceOptions): void {
  describe(`transport conformance: ${name}`, () => {
    const open: { t: Transport; ns: string; consumers: Consumer[] }[] = [];

    async function make(ns = `conf_${process.pid}_${Date.now().toString(36)}_${counter++}`, factory = create) {
      const t = await factory(ns);
      await t.connect();
      const entry = { t, ns, consumers: [] as Consumer[] };
      open.push(entry);
      const consume = async (
        subject: string,
        group: string,
        handler: (d: Delivery) => unknown,
        opts: { concurrency?: number; ackWaitMs?: number } = {},
      ) => {
        const c = await t.consume(subject, group, async (d) => void (await handler(d)), {
          concurrency: opts.concurrency ?? 10,
          ackWaitMs: opts.ackWaitMs ?? 30_000,
        });
        entry.consumers.push(c);
        return c;
      };
      return { t, ns, consume };
    }

    afterEach(async () => {
      const namespaces = new Set<string>();
      for (const { t, ns, consumers } of open.splice(0)) {
        for (const c of consumers) await c.stop({ timeoutMs: 100 });
        await t.close();
        namespaces.add(ns);
      }
      if (cleanup) for (const ns of namespaces) await cleanup(ns);
    });

    limitsConformance(() => make());
    backlogConformance(() => make());
    indexConformance(() => make());
    watchConformance(
      () => make(),
      () => make(undefined, windowed),
    );

    it('delivers a published message once and forgets it after ack', async () => {
      const { t, consume } = await make();
      const got: Delivery[] = [];
      await consume('events', 'g', async (d) => {
        got.push(d);
        await d.ack();
      });
      const res = await t.publish('events', enc('hello'), { msgId: 'a1' });
      expect(res.duplicate).toBe(false);
      await until(() => got.length === 1, 10_000, 'first delivery');
      expect(dec(got[0].data)).toBe('hello');
      expect(got[0].id).toBe('a1');
      expect(got[0].deliveryCount).toBe(1);
      await sleep(300);
      expect(got).toHaveLength(1);
    });

    it('deduplicates by message id', async () => {
      const { t, consume } = await make();
      const got: string[] = [];
      await consume('events', 'g', async (d) => {
        got.push(dec(d.data));
        await d.ack();
      });
      expect((await t.publish('events', enc('one'), { msgId: 'same' })).duplicate).toBe(false);
      expect((await t.publish('events', enc('two'), { msgId: 'same' })).duplicate).toBe(true);
      await t.publish('events', enc('three'), { msgId: 'other' });
      await until(() => got.length === 2, 10_000, 'two deliveries');
      await sleep(200);
      expect(got.sort()).toEqual(['one', 'three']);
    });

    it('holds a delayed publish back until it is due', async () => {
      const { t, consume } = await make();
      const at: number[] = [];
      await consume('events', 'g', async (d) => {
        at.push(Date.now());
        await d.ack();
      });
      const sent = Date.now();
      await t.publish('events', enc('later'), { msgId: 'd1', delayMs: 400 });
      await until(() => at.length === 1, 10_000, 'delayed delivery');
      expect(at[0] - sent).toBeGreaterThanOrEqual(350);
    });

    it('redelivers after the delay a handler asks for, counting deliveries', async () => {
      const { t, consume } = await make();
      const seen: { n: number; at: number }[] = [];
      await consume('events', 'g', async (d) => {
        seen.push({ n: d.deliveryCount, at: Date.now() });
        if (d.deliveryCount < 3) await d.retry(200);
        else await d.ack();
      });
      await t.publish('events', enc('x'), { msgId: 'r1' });
      await until(() => seen.length === 3, 10_000, 'three deliveries');
      expect(seen.map((s) => s.n)).toEqual([1, 2, 3]);
      expect(seen[1].at - seen[0].at).toBeGreaterThanOrEqual(150);
      expect(seen[2].at - seen[1].at).toBeGreaterThanOrEqual(150);
      await sleep(300);
      expect(seen).toHaveLength(3);
    });

    it('gives every group every message and shares a group between its members', async () => {
      const { t, consume } = await make();
      const a: string[] = [];
      const b1: string[] = [];
      const b2: string[] = [];
      const slowAck = (into: string[]) => async (d: Delivery) => {
        into.push(dec(d.data));
        await sleep(20);
        await d.ack();
      };
      await consume('events', 'a', slowAck(a));
      await consume('events', 'b', slowAck(b1), { concurrency: 1 });
      await consume('events', 'b', slowAck(b2), { concurrency: 1 });
      const n = 20;
      for (let i = 0; i < n; i++) await t.publish('events', enc(`m${i}`), { msgId: `g${i}` });
      await until(() => a.length === n && b1.length + b2.length === n, 15_000, 'all deliveries');
      await sleep(200);
      expect(new Set(a).size).toBe(n);
      expect(a).toHaveLength(n);
      expect(new Set([...b1, ...b2]).size).toBe(n);
      expect(b1.length + b2.length).toBe(n);
      expect(b1.length).toBeGreaterThan(0);
      expect(b2.length).toBeGreaterThan(0);
    });

    it('starts a group created later from the messages the subject still holds', async () => {
      const { t, consume } = await make();
      await t.publish('events', enc('early'), { msgId: 'e1' });
      const got: string[] = [];
      await consume('events', 'late', async (d) => {
        got.push(dec(d.data));
        await d.ack();
      });
      await until(() => got.length === 1, 10_000, 'early message');
      expect(got).toEqual(['early']);
    });

    it('never runs more handlers at once than the concurrency allows', async () => {
      const { t, consume } = await make();
      let active = 0;
      let peak = 0;
      let done = 0;
      await consume(
        'events',
        'g',
        async (d) => {
          active++;
          peak = Math.max(peak, active);
          await sleep(30);
          active--;
          done++;
          await d.ack();
        },
        { concurrency: 2 },
      );
      for (let i = 0; i < 8; i++) await t.publish('events', enc(`c${i}`), { msgId: `c${i}` });
      await until(() => done === 8, 10_000, 'eight handled');
      expect(peak).toBeLessThanOrEqual(2);
      expect(peak).toBe(2);
    });

    it('redelivers an unsettled delivery after its ack wait with a higher delivery count', async () => {
      const { t, consume } = await make();
      const seen: number[] = [];
      await consume(
        'events',
        'g',
        async (d) => {
          seen.push(d.deliveryCount);
          if (d.deliveryCount >= 2) await d.ack();
          // first delivery: neither ack nor working, as if the worker had died
        },
        { ackWaitMs: 600 },
      );
      await t.publish('events', enc('lost'), { msgId: 'l1' });
      await until(() => seen.length >= 2, 15_000, 'redelivery');
      expect(seen.slice(0, 2)).toEqual([1, 2]);
    });

    it('does not redeliver while the handler signs life with working()', async () => {
      const { t, consume } = await make();
      const seen: number[] = [];
      await consume(
        'events',
        'g',
        async (d) => {
          seen.push(d.deliveryCount);
          for (let i = 0; i < 8; i++) {
            await sleep(200);
            await d.working();
          }
          await d.ack();
        },
        { ackWaitMs: 700 },
      );
      await t.publish('events', enc('long'), { msgId: 'w1' });
      await until(() => seen.length === 1, 10_000, 'delivery');
      await sleep(2200);
      expect(seen).toEqual([1]);
    });

    it('dead-letters with a reason and never delivers again', async () => {
      const { t, consume } = await make();
      const seen: number[] = [];
      await consume('events', 'g', async (d) => {
        seen.push(d.deliveryCount);
        await d.deadLetter('cannot decode');
      });
      await t.publish('events', enc('poison'), { msgId: 'p1' });
      await until(async () => (await t.deadLetters(10)).length === 1, 10_000, 'dead letter');
      const [letter] = await t.deadLetters(10);
      expect(letter.reason).toBe('cannot decode');
      expect(letter.id).toBe('p1');
      expect(letter.group).toBe('g');
      expect(dec(letter.data)).toBe('poison');
      await sleep(300);
      expect(seen).toEqual([1]);
    });

    it('hands unsettled deliveries back on stop so another member takes them at once', async () => {
      const { t, consume } = await make();
      const first: Delivery[] = [];
      const second: Delivery[] = [];
      const a = await consume(
        'events',
        'g',
        async (d) => {
          first.push(d);
          await sleep(60_000);
        },
        { ackWaitMs: 60_000, concurrency: 1 },
      );
      await t.publish('events', enc('handoff'), { msgId: 'h1' });
      await until(() => first.length === 1, 10_000, 'first member got it');
      await consume(
        'events',
        'g',
        async (d) => {
          second.push(d);
          await d.ack();
        },
        { ackWaitMs: 60_000 },
      );
      const stopped = Date.now();
      await a.stop({ timeoutMs: 50 });
      await until(() => second.length === 1, 10_000, 'handed back');
      expect(Date.now() - stopped).toBeLessThan(10_000);
      expect(dec(second[0].data)).toBe('handoff');
    });

    it('writes a store value together with a settlement, and settles nothing when the write loses', async () => {
      const { t, consume } = await make();
      const existing = (await t.store.create('rec.b', enc('b0')))!;
      const results: string[] = [];
      const seen: string[] = [];
      await consume('events', 'g', async (d) => {
        const body = dec(d.data);
        seen.push(`${body}#${d.deliveryCount}`);
        if (body === 'fresh') {
          results.push(`create:${await d.ack({ key: 'rec.a', value: enc('a1') })}`);
        } else if (d.deliveryCount === 1) {
          results.push(`stale:${await d.ack({ key: 'rec.b', value: enc('lost'), revision: existing + 1000 })}`);
          results.push(`exists:${await d.retry(0, { key: 'rec.a', value: enc('lost') })}`);
          results.push(`retry:${await d.retry(150, { key: 'rec.b', value: enc('b1'), revision: existing })}`);
        } else {
          results.push(`again:${await d.ack()}`);
        }
      });
      await t.publish('events', enc('fresh'), { msgId: 'c1' });
      await until(() => results.length === 1, 10_000, 'fresh ack');
      await t.publish('events', enc('cas'), { msgId: 'c2' });
      await until(() => results.length === 5, 10_000, 'cas deliveries');
      expect(results).toEqual(['create:true', 'stale:false', 'exists:false', 'retry:true', 'again:true']);
      expect(dec((await t.store.get('rec.a'))!.value)).toBe('a1');
      expect(dec((await t.store.get('rec.b'))!.value)).toBe('b1');
      await sleep(300);
      expect(seen).toEqual(['fresh#1', 'cas#1', 'cas#2']);
      expect((await t.store.keys('rec.')).sort()).toEqual(['rec.a', 'rec.b']);
    });

    it('keeps a key-value store with compare-and-set', async () => {
      const { t } = await make();
      const s = t.store;
      expect(await s.get('run.a')).toBeUndefined();
      const r1 = await s.create('run.a', enc('v1'));
      expect(r1).toBeDefined();
      expect(await s.create('run.a', enc('again'))).toBeUndefined();
      const got = await s.get('run.a');
      expect(dec(got!.value)).toBe('v1');
      expect(got!.revision).toBe(r1);
      const r2 = await s.update('run.a', enc('v2'), r1!);
      expect(r2).toBeDefined();
      expect(r2).not.toBe(r1);
      expect(await s.update('run.a', enc('stale'), r1!)).toBeUndefined();
      expect(dec((await s.get('run.a'))!.value)).toBe('v2');
      await s.create('run.b', enc('b'));
      await s.create('event.c', enc('c'));
      expect((await s.keys('run.')).sort()).toEqual(['run.a', 'run.b']);
      await s.delete('run.a');
      expect(await s.get('run.a')).toBeUndefined();
      expect(await s.update('run.a', enc('gone'), r2!)).toBeUndefined();
    });

    it('lets only one of many concurrent compare-and-set writers win', async () => {
      const { t } = await make();
      const r = (await t.store.create('k', enc('0')))!;
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => t.store.update('k', enc(`w${i}`), r)));
      expect(results.filter((x) => x !== undefined)).toHaveLength(1);
    });

    it('broadcasts to watchers in order and stops after unsubscribe', async () => {
      const { t } = await make();
      const got: string[] = [];
      const un = await t.watch('runs', (d) => got.push(dec(d)));
      await sleep(50);
      for (let i = 0; i < 5; i++) await t.broadcast('runs', enc(`c${i}`));
      await until(() => got.length === 5, 10_000, 'broadcasts');
      expect(got).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
      await un();
      await t.broadcast('runs', enc('after'));
      await sleep(200);
      expect(got).toHaveLength(5);
    });

    it('gives every group every topic of a subject, and every watcher every topic of a channel', async () => {
      const { t, consume } = await make();
      const a: string[] = [];
      const b: string[] = [];
      await consume('events', 'a', async (d) => {
        a.push(dec(d.data));
        await d.ack();
      });
      await consume('events', 'b', async (d) => {
        b.push(dec(d.data));
        await d.ack();
      });
      const watched: string[] = [];
      await t.watch('runs', (d) => watched.push(dec(d)));
      await t.publish('events', enc('signup'), { msgId: 't1', topic: 'user/created' });
      await t.publish('events', enc('order'), { msgId: 't2', topic: 'order.placed' });
      await t.publish('events', enc('none'), { msgId: 't3' });
      await t.broadcast('runs', enc('welcome'), 'welcome');
      await t.broadcast('runs', enc('all'));
      await until(() => a.length === 3 && b.length === 3 && watched.length === 2, 10_000, 'every topic');
      expect(a.sort()).toEqual(['none', 'order', 'signup']);
      expect(b.sort()).toEqual(['none', 'order', 'signup']);
      expect(watched.sort()).toEqual(['all', 'welcome']);
      expect((await t.history('events', 10)).map((h) => h.id)).toEqual(['t3', 't2', 't1']);
    });

    it('lists a subject history newest first', async () => {
      const { t } = await make();
      for (let i = 0; i < 5; i++) await t.publish('events', enc(`h${i}`), { msgId: `h${i}` });
      const h = await t.history('events', 3);
      expect(h.map((e) => dec(e.data))).toEqual(['h4', 'h3', 'h2']);
      expect(h[0].id).toBe('h4');
      expect(typeof h[0].at).toBe('number');
    });

    it('keeps namespaces apart', async () => {
      const one = await make();
      const two = await make();
      const got: string[] = [];
      await two.consume('events', 'g', async (d) => {
        got.push(dec(d.data));
        await d.ack();
      });
      await one.t.publish('events', enc('for-one'), { msgId: 'n1' });
      await one.t.store.create('key', enc('one'));
      await two.t.publish('events', enc('for-two'), { msgId: 'n1' });
      await until(() => got.length === 1, 10_000, 'own message');
      await sleep(200);
      expect(got).toEqual(['for-two']);
      expect(await two.t.store.get('key')).toBeUndefined();
    });
  });
}
