/**
 * Conformance cases for the seam's limit primitives (core/transport-limits.ts):
 * leased slots with parked waiters, and start schedules per key. Called
 * from the transport suite, so they run unchanged on every transport.
 */
import { expect, it } from 'vitest';
import type { Delivery, Transport } from '../../core/transport.js';

export type MakeTransport = () => Promise<{
  t: Transport;
  consume: (subject: string, group: string, handler: (d: Delivery) => unknown) => Promise<unknown>;
}>;

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

const waiter = (name: string, priority = 0) => ({ subject: 'wakes', data: enc(name), priority });

/** Collects the wake messages published on the `wakes` subject, in order. */
async function wakes(make: MakeTransport) {
  const made = await make();
  const got: string[] = [];
  await made.consume('wakes', 'w', async (d) => {
    got.push(dec(d.data));
    await d.ack();
  });
  return { ...made, got };
}

export function limitsConformance(make: MakeTransport): void {
  it('slots: grants up to the limit, parks the rest, and counts both', async () => {
    const { t } = await make();
    expect(await t.slots.acquire('k', 'a', 2, 30_000, waiter('a'))).toBe(true);
    expect(await t.slots.acquire('k', 'b', 2, 30_000, waiter('b'))).toBe(true);
    expect(await t.slots.acquire('k', 'c', 2, 30_000, waiter('c'))).toBe(false);
    expect(await t.slots.acquire('k', 'd', 2, 30_000)).toBe(false);
    expect(await t.slots.count('k')).toEqual({ held: 2, waiting: 1 });
    // A holder asking again keeps its one slot; other keys are apart.
    expect(await t.slots.acquire('k', 'a', 2, 30_000, waiter('a'))).toBe(true);
    expect(await t.slots.count('k')).toEqual({ held: 2, waiting: 1 });
    expect(await t.slots.acquire('other', 'c', 1, 30_000)).toBe(true);
    expect(await t.slots.count('other')).toEqual({ held: 1, waiting: 0 });
    expect(await t.slots.count('never-used')).toEqual({ held: 0, waiting: 0 });
  });

  it('slots: a release gives the slot to the first waiter and publishes its message', async () => {
    const { t, got } = await wakes(make);
    expect(await t.slots.acquire('k', 'a', 1, 30_000, waiter('a'))).toBe(true);
    expect(await t.slots.acquire('k', 'b', 1, 30_000, waiter('b'))).toBe(false);
    // Parking again keeps one place in the queue.
    expect(await t.slots.acquire('k', 'b', 1, 30_000, waiter('b'))).toBe(false);
    expect(await t.slots.acquire('k', 'c', 1, 30_000, waiter('c'))).toBe(false);
    expect(await t.slots.count('k')).toEqual({ held: 1, waiting: 2 });
    await t.slots.release('k', 'a');
    await until(() => got.length === 1, 5_000, 'the first wake');
    expect(got).toEqual(['b']);
    // b holds the slot before it wakes: a newcomer is refused, and b's own acquire confirms it.
    expect(await t.slots.acquire('k', 'z', 1, 30_000)).toBe(false);
    expect(await t.slots.acquire('k', 'b', 1, 30_000, waiter('b'))).toBe(true);
    expect(await t.slots.count('k')).toEqual({ held: 1, waiting: 1 });
    await t.slots.release('k', 'b');
    await until(() => got.length === 2, 5_000, 'the second wake');
    expect(got).toEqual(['b', 'c']);
    await t.slots.release('k', 'c');
    expect(await t.slots.count('k')).toEqual({ held: 0, waiting: 0 });
    await sleep(100);
    expect(got).toEqual(['b', 'c']);
  });

  it('slots: waiters wake by priority, equal priorities in the order they parked', async () => {
    const { t, got } = await wakes(make);
    expect(await t.slots.acquire('k', 'holder', 1, 30_000)).toBe(true);
    const order: [string, number][] = [
      ['low1', 0],
      ['high1', 10],
      ['low2', 0],
      ['neg', -5],
      ['high2', 10],
      ['mid', 3],
    ];
    for (const [name, priority] of order) expect(await t.slots.acquire('k', name, 1, 30_000, waiter(name, priority))).toBe(false);
    let last = 'holder';
    for (let i = 0; i < order.length; i++) {
      await t.slots.release('k', last);
      await until(() => got.length === i + 1, 5_000, `wake ${i + 1}`);
      last = got[i];
    }
    expect(got).toEqual(['high1', 'high2', 'mid', 'low1', 'low2', 'neg']);
  });

  it('slots: a release takes a waiter out of the queue, and a stranger releases nothing', async () => {
    const { t, got } = await wakes(make);
    expect(await t.slots.acquire('k', 'a', 1, 30_000)).toBe(true);
    expect(await t.slots.acquire('k', 'b', 1, 30_000, waiter('b'))).toBe(false);
    expect(await t.slots.acquire('k', 'c', 1, 30_000, waiter('c'))).toBe(false);
    await t.slots.release('k', 'b');
    await t.slots.release('k', 'stranger');
    expect(await t.slots.count('k')).toEqual({ held: 1, waiting: 1 });
    await t.slots.release('k', 'a');
    await until(() => got.length === 1, 5_000, 'a wake');
    expect(got).toEqual(['c']);
  });

  it('slots: a parked holder that finds a slot free takes it and leaves the queue', async () => {
    const { t } = await make();
    expect(await t.slots.acquire('k', 'a', 1, 30_000)).toBe(true);
    expect(await t.slots.acquire('k', 'b', 1, 30_000, waiter('b'))).toBe(false);
    // A larger limit (a redeploy raised it) frees room: b, still parked, takes it.
    expect(await t.slots.acquire('k', 'b', 2, 30_000, waiter('b'))).toBe(true);
    expect(await t.slots.count('k')).toEqual({ held: 2, waiting: 0 });
  });

  it('slots: a lapsed lease frees its slot for the next waiter; a renewed one holds', async () => {
    const { t, got } = await wakes(make);
    expect(await t.slots.acquire('k', 'dies', 1, 300)).toBe(true);
    expect(await t.slots.acquire('k2', 'lives', 1, 300)).toBe(true);
    expect(await t.slots.acquire('k', 'next', 1, 30_000, waiter('next'))).toBe(false);
    expect(await t.slots.acquire('k2', 'next2', 1, 30_000, waiter('next2'))).toBe(false);
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      expect(await t.slots.renew('k2', 'lives', 300)).toBe(true);
    }
    expect(await t.slots.reclaim()).toBe(1);
    await until(() => got.length === 1, 5_000, 'the wake of the lapsed slot');
    expect(got).toEqual(['next']);
    expect(await t.slots.renew('k', 'dies', 300)).toBe(false);
    expect(await t.slots.count('k')).toEqual({ held: 1, waiting: 0 });
    expect(await t.slots.count('k2')).toEqual({ held: 1, waiting: 1 });
  });

  it('slots: a lapsed lease is found by the next acquire of its key too', async () => {
    const { t } = await make();
    expect(await t.slots.acquire('k', 'dies', 1, 200)).toBe(true);
    expect(await t.slots.acquire('k', 'b', 1, 30_000)).toBe(false);
    await sleep(350);
    expect(await t.slots.acquire('k', 'b', 1, 30_000)).toBe(true);
  });

  it('slots: many holders racing for few slots never exceed the limit', async () => {
    const { t } = await make();
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => t.slots.acquire('race', `h${i}`, 3, 30_000, waiter(`h${i}`))));
    expect(results.filter(Boolean)).toHaveLength(3);
    expect(await t.slots.count('race')).toEqual({ held: 3, waiting: 37 });
  });

  it('rates: books starts one interval apart, burst early, keys apart', async () => {
    const { t } = await make();
    // 4 per 2 s: one every 500 ms.
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) delays.push(await t.rates.reserve('r', 4, 2_000, 0));
    expect(delays[0]).toBe(0);
    for (let i = 1; i < 4; i++) {
      expect(delays[i]).toBeGreaterThan(i * 500 - 150);
      expect(delays[i]).toBeLessThanOrEqual(i * 500);
    }
    expect(await t.rates.reserve('other', 4, 2_000, 0)).toBe(0);
    // A burst of 2 lets three start at once.
    const burst: number[] = [];
    for (let i = 0; i < 4; i++) burst.push(await t.rates.reserve('b', 4, 2_000, 2));
    expect(burst.slice(0, 3)).toEqual([0, 0, 0]);
    expect(burst[3]).toBeGreaterThan(350);
    expect(burst[3]).toBeLessThanOrEqual(500);
  });

  it('rates: an idle key starts again at once', async () => {
    const { t } = await make();
    expect(await t.rates.reserve('r', 10, 1_000, 0)).toBe(0);
    await sleep(250);
    expect(await t.rates.reserve('r', 10, 1_000, 0)).toBe(0);
  });

  it('rates: take counts starts within the rate and refuses the rest without booking them', async () => {
    const { t } = await make();
    const taken: boolean[] = [];
    for (let i = 0; i < 5; i++) taken.push(await t.rates.take('t', 2, 60_000, 1));
    expect(taken).toEqual([true, true, false, false, false]);
    expect(await t.rates.take('t2', 1, 300, 0)).toBe(true);
    expect(await t.rates.take('t2', 1, 300, 0)).toBe(false);
    await sleep(350);
    // Refusals booked nothing, so the key is free again after one interval.
    expect(await t.rates.take('t2', 1, 300, 0)).toBe(true);
  });

  it('rates: concurrent reservations each get their own start', async () => {
    const { t } = await make();
    const delays = await Promise.all(Array.from({ length: 10 }, () => t.rates.reserve('c', 10, 10_000, 0)));
    const slots = delays.map((d) => Math.round(d / 1_000)).sort((a, b) => a - b);
    expect(slots).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
}
