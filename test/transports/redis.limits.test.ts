/**
 * Redis-specific guarantees of slots and rates beyond the shared conformance
 * cases: a wake is an ordinary stream entry and keeps history trimmed as a
 * publish does, state is shared by every transport of a namespace, priority
 * order is exact for any number, nothing is left behind once a key is idle,
 * and destroyNamespace removes it all.
 */
import { describe, expect, it } from 'vitest';
import { destroyNamespace, type RedisTransport } from '../../transports/redis/index.js';
import { until } from '../conformance/transport.suite.js';
import { dec, enc, redisNamespaces, url } from './redis.fixture.js';

const namespace = redisNamespaces('lim');
const waiter = (name: string, priority = 0) => ({ subject: 'events', data: enc(name), priority });

async function keysOf(t: RedisTransport, ns: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await t.client.scan(cursor, 'MATCH', `{${ns}}:*`, 'COUNT', 1000);
    cursor = next;
    out.push(...keys);
  } while (cursor !== '0');
  return out.sort();
}

describe('redis transport: slots', () => {
  it('appends a wake as a plain entry and trims history as a publish does', async () => {
    const { ns, open } = namespace();
    const t = await open({ maxLen: 10 });
    expect(await t.slots.acquire('k', 'h0', 1, 30_000)).toBe(true);
    for (let i = 1; i <= 60; i++) expect(await t.slots.acquire('k', `h${i}`, 1, 30_000, waiter(`w${i}`))).toBe(false);
    for (let i = 0; i < 60; i++) await t.slots.release('k', `h${i}`);
    const entries = await t.client.xrange(`{${ns}}:s:events`, '-', '+');
    // No group reads the subject, so nothing holds the cut back: the cap plus its slack (one entry at this cap).
    expect(entries.length).toBeLessThanOrEqual(12);
    const last = entries[entries.length - 1];
    expect(last[1]).toEqual(['d', 'w60']);
    expect(dec((await t.history('events', 1))[0].data)).toBe('w60');
  });

  it('shares holders and waiters between transports of one namespace', async () => {
    const { open, consume } = namespace();
    const a = await open();
    const b = await open();
    const got: string[] = [];
    await consume(b, 'w', async (d) => {
      got.push(dec(d.data));
      await d.ack();
    });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).slots.acquire('shared', `h${i}`, 3, 30_000, waiter(`h${i}`))),
    );
    const holders = results.flatMap((ok, i) => (ok ? [`h${i}`] : []));
    expect(holders).toHaveLength(3);
    expect(await a.slots.count('shared')).toEqual({ held: 3, waiting: 27 });
    // A release through one transport wakes a waiter that parked through the other.
    await a.slots.release('shared', holders[0]);
    await until(() => got.length === 1, 5_000, 'the wake');
    expect(await b.slots.count('shared')).toEqual({ held: 3, waiting: 26 });
    expect(await a.slots.acquire('shared', got[0], 3, 30_000)).toBe(true);
  });

  it('orders waiters exactly by priority, then arrival, for priorities no single score could pair with arrival', async () => {
    const { open, consume } = namespace();
    const t = await open();
    const got: string[] = [];
    await consume(t, 'w', async (d) => {
      got.push(dec(d.data));
      await d.ack();
    });
    expect(await t.slots.acquire('k', 'holder', 1, 30_000)).toBe(true);
    const parked: [string, number][] = [
      ['big-a', 2 ** 60],
      ['tiny', 1e-300],
      ['big-b', 2 ** 60],
      ['bigger', 2 ** 60 + 256],
      ['half', 0.5],
      ['zero', 0],
      ['very-low', -1e300],
      ['big-c', 2 ** 60],
    ];
    for (const [name, priority] of parked) expect(await t.slots.acquire('k', name, 1, 30_000, waiter(name, priority))).toBe(false);
    let last = 'holder';
    for (let i = 0; i < parked.length; i++) {
      await t.slots.release('k', last);
      await until(() => got.length === i + 1, 5_000, `wake ${i + 1}`);
      last = got[i];
    }
    expect(got).toEqual(['bigger', 'big-a', 'big-b', 'big-c', 'half', 'tiny', 'zero', 'very-low']);
  });

  it('keeps keys and holders of any characters apart', async () => {
    const { open } = namespace();
    const t = await open();
    expect(await t.slots.acquire('a:b', 'x:{y}', 1, 30_000)).toBe(true);
    expect(await t.slots.acquire('a', 'b:x', 1, 30_000)).toBe(true);
    expect(await t.slots.acquire('a:b{c}%3A*', 'é', 1, 30_000)).toBe(true);
    expect(await t.slots.acquire('a:b', 'other', 1, 30_000)).toBe(false);
    expect(await t.slots.count('a:b')).toEqual({ held: 1, waiting: 0 });
    await t.slots.release('a:b', 'x:{y}');
    expect(await t.slots.acquire('a:b', 'other', 1, 30_000)).toBe(true);
  });

  it('indexes each key by its earliest lease, and leaves no slot key behind once nobody holds or waits', async () => {
    const { ns, open } = namespace();
    const t = await open();
    for (let i = 0; i < 20; i++) expect(await t.slots.acquire(`long${i}`, 'h', 1, 60_000)).toBe(true);
    expect(await t.slots.acquire('short', 'h', 2, 60_000)).toBe(true);
    expect(await t.slots.acquire('short', 'g', 2, 200)).toBe(true);
    expect(await t.slots.acquire('short', 'w', 2, 60_000, waiter('w'))).toBe(false);
    const index = `{${ns}}:slidx`;
    expect(await t.client.zcard(index)).toBe(21);
    // Scored by the server's clock: the short lease ends about 200 ms from the server's now.
    const [seconds] = await t.client.time();
    const shortEnd = Number(await t.client.zscore(index, 'short'));
    expect(Math.abs(shortEnd - (Number(seconds) * 1000 + 200))).toBeLessThan(2_000);
    expect(shortEnd).toBeLessThan(Number(await t.client.zscore(index, 'long0')) - 50_000);
    await new Promise((r) => setTimeout(r, 300));
    // Only the lapsed lease is due; the waiter takes it (and a wake entry is appended).
    expect(await t.slots.reclaim()).toBe(1);
    expect(await t.slots.count('short')).toEqual({ held: 2, waiting: 0 });
    expect(await t.slots.reclaim()).toBe(0);
    for (let i = 0; i < 20; i++) await t.slots.release(`long${i}`, 'h');
    for (const h of ['h', 'w']) await t.slots.release('short', h);
    expect(await keysOf(t, ns)).toEqual([`{${ns}}:s:events`]);
  });

  it('a renewal moves the key in the lease index, so reclaim does not visit a key whose lease lives', async () => {
    const { ns, open } = namespace();
    const t = await open();
    expect(await t.slots.acquire('k', 'h', 1, 200)).toBe(true);
    const before = Number(await t.client.zscore(`{${ns}}:slidx`, 'k'));
    expect(await t.slots.renew('k', 'h', 60_000)).toBe(true);
    expect(Number(await t.client.zscore(`{${ns}}:slidx`, 'k'))).toBeGreaterThan(before + 50_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(await t.slots.reclaim()).toBe(0);
    expect(await t.slots.count('k')).toEqual({ held: 1, waiting: 0 });
  });
});

describe('redis transport: rates', () => {
  it('books one schedule for every transport of a namespace', async () => {
    const { open } = namespace();
    const a = await open();
    const b = await open();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) delays.push(await (i % 2 ? a : b).rates.reserve('r', 10, 10_000, 0));
    expect(delays.map((d) => Math.round(d / 1_000))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('stores a fractional schedule with every digit, so it does not drift', async () => {
    const { ns, open } = namespace();
    const t = await open();
    // 3 per 1000 ms: 333.33… ms apart. Stored with 14 digits (Lua's tostring), a TAT near today's epoch in ms would keep
    // one decimal, so each booking would lose a thirtieth of a millisecond: about 10 ms over these.
    const key = `{${ns}}:rt:third`;
    await t.rates.reserve('third', 3, 1_000, 0);
    const first = Number(await t.client.get(key));
    for (let i = 0; i < 298; i++) await t.rates.reserve('third', 3, 1_000, 0);
    expect(Math.abs(Number(await t.client.get(key)) - (first + (298 * 1_000) / 3))).toBeLessThan(1);
  });
});

describe('redis transport: destroyNamespace and limits', () => {
  it('removes slot, queue, lease index and rate keys', async () => {
    const { ns, open } = namespace();
    const t = await open();
    expect(await t.slots.acquire('k', 'a', 1, 30_000)).toBe(true);
    expect(await t.slots.acquire('k', 'b', 1, 30_000, waiter('b'))).toBe(false);
    await t.rates.reserve('r', 1, 60_000, 0);
    expect((await keysOf(t, ns)).length).toBeGreaterThanOrEqual(5);
    expect(await destroyNamespace(url, ns)).toBeGreaterThanOrEqual(5);
    expect(await keysOf(t, ns)).toEqual([]);
  });
});
