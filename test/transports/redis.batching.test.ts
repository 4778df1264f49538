/**
 * Calls made in one tick travel to Redis as one script call (TickBatch):
 * each call in the batch still gets its own answer, a lost compare-and-set
 * or a duplicate affects only its own call, and a failed batch fails every
 * call in it with the transport's error.
 */
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../core/transport.js';
import { TransportError } from '../../core/transport.js';
import { createRedisTransport } from '../../transports/redis/index.js';
import { packItems } from '../../transports/redis/scripts/items.js';
import { TickBatch } from '../../transports/redis/tick-batch.js';
import { until } from '../conformance/transport.suite.js';
import { dec, enc, redisNamespaces } from './redis.fixture.js';

const namespace = redisNamespaces('batch');

describe('TickBatch', () => {
  it('sends the calls of one tick together and answers each in order', async () => {
    const sent: number[][] = [];
    const batch = new TickBatch<number, number>(async (items) => {
      sent.push(items);
      return items.map((i) => i * 10);
    });
    const first = await Promise.all([batch.add(1), batch.add(2), Promise.resolve().then(() => batch.add(3))]);
    const second = await batch.add(4);
    expect(first).toEqual([10, 20, 30]);
    expect(second).toBe(40);
    expect(sent).toEqual([[1, 2, 3], [4]]);
  });

  it('splits at its maximum and fails every call of a failed batch', async () => {
    const sent: number[][] = [];
    const batch = new TickBatch<number, number>((items) => {
      sent.push(items);
      if (items.includes(3)) throw new Error('boom');
      return Promise.resolve(items);
    }, 2);
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => batch.add(i)));
    expect(sent).toEqual([[1, 2], [3, 4], [5]]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
  });
});

describe('packItems', () => {
  it('reaches a script as the same strings the values would have been as arguments, at every msgpack size class', async () => {
    const { open } = namespace();
    const t = await open();
    const values: (string | Buffer)[] = [
      '',
      'a',
      'x'.repeat(31),
      'y'.repeat(32),
      'z'.repeat(255),
      'w'.repeat(256),
      'é€😀',
      Buffer.from([0, 255, 128, 10]),
      Buffer.alloc(70_000, 7),
    ];
    for (const list of [values, Array.from({ length: 15 }, (_, i) => `s${i}`), Array.from({ length: 70_000 }, (_, i) => String(i))]) {
      const got = (await t.client.callBuffer('EVAL', 'return cmsgpack.unpack(ARGV[1])', 0, packItems(list))) as Buffer[];
      expect(got.length).toBe(list.length);
      expect(got.every((g, i) => g.equals(Buffer.from(list[i])))).toBe(true);
    }
  });
});

describe('redis transport: one tick, one script call', () => {
  it('store writes of one tick are compare-and-set each on its own', async () => {
    const { open } = namespace();
    const t = await open();
    const created = await Promise.all([t.store.create('a', enc('1')), t.store.create('a', enc('2')), t.store.create('b', enc('3'))]);
    expect(created[0]).toBeGreaterThan(0);
    expect(created[1]).toBeUndefined();
    expect(created[2]).toBeGreaterThan(0);
    const [stale, fresh] = await Promise.all([
      t.store.update('a', enc('x'), (created[0] as number) + 1000),
      t.store.update('b', enc('4'), created[2] as number),
    ]);
    expect(stale).toBeUndefined();
    expect(fresh).toBeGreaterThan(created[2] as number);
    expect(dec((await t.store.get('a'))!.value)).toBe('1');
    expect(dec((await t.store.get('b'))!.value)).toBe('4');
  });

  it('publishes of one tick are deduplicated each on its own and all delivered', async () => {
    const { open, consume } = namespace();
    const t = await open();
    const results = await Promise.all(['m1', 'm2', 'm1', 'm3'].map((id, i) => t.publish('events', enc(`${id}:${i}`), { msgId: id })));
    expect(results.map((r) => r.duplicate)).toEqual([false, false, true, false]);
    const got: string[] = [];
    await consume(t, 'g', async (d) => {
      got.push(dec(d.data));
      await d.ack();
    });
    await until(() => got.length === 3, 5_000, 'three messages');
    expect(got.sort()).toEqual(['m1:0', 'm2:1', 'm3:3']);
  });

  it('keeps a dedup marker only for ids that may come back: a fresh id, alone or batched, gets none', async () => {
    const { ns, open, consume } = namespace();
    const t = await open();
    await t.publish('events', enc('lone-fresh'), { msgId: 'f1', freshId: true });
    await Promise.all(['f2', 'f3'].map((id) => t.publish('events', enc(`batched-${id}`), { msgId: id, freshId: true })));
    await t.publish('events', enc('given'), { msgId: 'g1' });
    const markers = (await t.client.keys(`{${ns}}:u:*`)).map((k) => k.slice(k.lastIndexOf(':') + 1));
    expect(markers).toEqual(['g1']);
    expect((await t.publish('events', enc('given again'), { msgId: 'g1' })).duplicate).toBe(true);
    const ids: string[] = [];
    await consume(t, 'g', async (d) => {
      ids.push(d.id);
      await d.ack();
    });
    await until(() => ids.length === 4, 5_000, 'four messages');
    expect(ids.sort()).toEqual(['f1', 'f2', 'f3', 'g1']);
  });

  it('commits of one tick settle each delivery with its own write; a lost write settles nothing', async () => {
    const { open, consume } = namespace();
    const t = await open();
    await t.store.create('taken', enc('someone else'));
    const held: Delivery[] = [];
    await consume(t, 'g', (d) => void held.push(d), 10, 60_000);
    for (const id of ['a', 'b', 'c']) await t.publish('events', enc(id), { msgId: id });
    await until(() => held.length === 3, 5_000, 'three deliveries');
    const byData = new Map(held.map((d) => [dec(d.data), d]));
    const settled = await Promise.all([
      byData.get('a')!.ack({ key: 'run.a', value: enc('A') }),
      byData.get('b')!.ack({ key: 'taken', value: enc('B') }),
      byData.get('c')!.retry(0, { key: 'run.c', value: enc('C') }),
    ]);
    expect(settled).toEqual([true, false, true]);
    expect(dec((await t.store.get('run.a'))!.value)).toBe('A');
    expect(dec((await t.store.get('taken'))!.value)).toBe('someone else');
    // The retried one comes back at once; the one whose write lost is still this consumer's, unsettled.
    await until(() => held.length === 4, 5_000, 'c again');
    expect(dec(held[3].data)).toBe('c');
    expect(held[3].deliveryCount).toBe(2);
  });

  it('a batch Redis does not answer fails every call in it with a TransportError', async () => {
    const t = createRedisTransport({ url: 'redis://127.0.0.1:1', namespace: 'batch_unreachable', commandTimeoutMs: 300 });
    try {
      const results = await Promise.allSettled([t.publish('events', enc('x')), t.publish('events', enc('y'))]);
      for (const r of results) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(TransportError);
        expect((r as PromiseRejectedResult).reason.code).toBe('TIMEOUT');
      }
    } finally {
      await t.close();
    }
  });
});
