/**
 * Conformance cases for the seam's sorted indexes (core/transport-index.ts):
 * listings that move with store writes and settlements, and pages read from
 * a cursor. Called from the transport suite, so they run unchanged on every
 * transport.
 */
import { expect, it } from 'vitest';
import type { Delivery, Listing, Transport } from '../../core/transport.js';

export type MakeIndexed = () => Promise<{
  t: Transport;
  consume: (subject: string, group: string, handler: (d: Delivery) => unknown) => Promise<unknown>;
}>;

const enc = (s: string) => new TextEncoder().encode(s);

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every member of an index, a page at a time. */
async function all(t: Transport, index: string, pageSize = 50): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (let i = 0; i < 1_000; i++) {
    const page = await t.indexes.page(index, pageSize, after);
    out.push(...page);
    if (page.length < pageSize) return out;
    after = page[page.length - 1];
  }
  throw new Error(`index "${index}" never ended`);
}

const listing = (member: string, ...indexes: string[]): Listing => ({ member, in: indexes });

export function indexConformance(make: MakeIndexed): void {
  it('indexes: an empty index has no page, and a written value is listed under its member in each of its indexes', async () => {
    const { t } = await make();
    expect(await t.indexes.page('nothing-here', 10)).toEqual([]);
    expect(await t.store.create('k1', enc('v'), { listing: listing('0005.a', 'all', 'f:one') })).toBeDefined();
    expect(await t.indexes.page('all', 10)).toEqual(['0005.a']);
    expect(await t.indexes.page('f:one', 10)).toEqual(['0005.a']);
    expect(await t.indexes.page('f:two', 10)).toEqual([]);
  });

  it('indexes: pages come in ascending order, strictly after the cursor, and a walk by pages sees every member once', async () => {
    const { t } = await make();
    const members = Array.from({ length: 130 }, (_, i) => `${String(1_000 + ((i * 37) % 130)).padStart(6, '0')}.r${i}`);
    await Promise.all(members.map((m, i) => t.store.create(`key.${i}`, enc(m), { listing: listing(m, 'all') })));
    const sorted = [...members].sort();
    expect(await t.indexes.page('all', 5)).toEqual(sorted.slice(0, 5));
    expect(await t.indexes.page('all', 5, sorted[9])).toEqual(sorted.slice(10, 15));
    // A cursor need not be a member: the page starts at the first member above it.
    expect(await t.indexes.page('all', 2, `${sorted[20]}~`)).toEqual(sorted.slice(21, 23));
    expect(await t.indexes.page('all', 10, sorted[sorted.length - 1])).toEqual([]);
    expect(await all(t, 'all', 50)).toEqual(sorted);
  });

  it('indexes: a rewrite moves the value between indexes, keeping the ones it stays in', async () => {
    const { t } = await make();
    const r1 = await t.store.create('run.a', enc('1'), { listing: listing('0001.a', 'all', 's:running') });
    await t.store.create('run.b', enc('1'), { listing: listing('0002.b', 'all', 's:running') });
    const r2 = await t.store.update('run.a', enc('2'), r1 as number, { listing: listing('0001.a', 'all', 's:succeeded') });
    expect(r2).toBeDefined();
    expect(await t.indexes.page('s:running', 10)).toEqual(['0002.b']);
    expect(await t.indexes.page('s:succeeded', 10)).toEqual(['0001.a']);
    expect(await t.indexes.page('all', 10)).toEqual(['0001.a', '0002.b']);
    // A write without a listing leaves the listing as it was.
    await t.store.update('run.a', enc('3'), r2 as number);
    expect(await t.indexes.page('s:succeeded', 10)).toEqual(['0001.a']);
  });

  it('indexes: a write that loses its compare-and-set takes nothing out of the listing the winner wrote', async () => {
    const { t } = await make();
    const r1 = (await t.store.create('run.c', enc('1'), { listing: listing('0003.c', 'all', 's:pending') })) as number;
    expect(await t.store.update('run.c', enc('2'), r1, { listing: listing('0003.c', 'all', 's:running') })).toBeDefined();
    expect(await t.store.update('run.c', enc('x'), r1, { listing: listing('0003.c', 'all', 's:failed') })).toBeUndefined();
    expect(await t.store.create('run.c', enc('y'), { listing: listing('0003.c', 'all', 's:cancelled') })).toBeUndefined();
    expect(await t.indexes.page('s:running', 10)).toEqual(['0003.c']);
    expect(await t.indexes.page('all', 10)).toEqual(['0003.c']);
    expect(await t.indexes.page('s:pending', 10)).toEqual([]);
  });

  it('indexes: a delete takes the value out of every index it was listed in', async () => {
    const { t } = await make();
    await t.store.create('run.d', enc('1'), { listing: listing('0004.d', 'all', 'f:x', 'e:evt 1') });
    await t.store.create('run.e', enc('1'), { listing: listing('0005.e', 'all', 'f:x') });
    await t.store.delete('run.d');
    expect(await t.indexes.page('all', 10)).toEqual(['0005.e']);
    expect(await t.indexes.page('f:x', 10)).toEqual(['0005.e']);
    expect(await t.indexes.page('e:evt 1', 10)).toEqual([]);
  });

  it('indexes: a settlement that writes the value moves its listing with it (ack and retry)', async () => {
    const { t, consume } = await make();
    const created = (await t.store.create('run.s', enc('0'), { listing: listing('0006.s', 'all', 's:pending') })) as number;
    let seen = 0;
    await consume('jobs', 'g', async (d) => {
      seen++;
      if (d.deliveryCount === 1) {
        const listed = { key: 'run.s', value: enc('1'), revision: created, listing: listing('0006.s', 'all', 's:retrying') };
        await d.retry(0, listed);
      } else {
        const current = await t.store.get('run.s');
        await d.ack({ key: 'run.s', value: enc('2'), revision: current?.revision, listing: listing('0006.s', 'all', 's:succeeded') });
      }
    });
    await t.publish('jobs', enc('go'), { msgId: 'job-1' });
    await until(async () => (await t.indexes.page('s:succeeded', 10)).length === 1, 10_000, 'the acked write to be listed');
    expect(seen).toBe(2);
    expect(await t.indexes.page('s:succeeded', 10)).toEqual(['0006.s']);
    expect(await t.indexes.page('s:retrying', 10)).toEqual([]);
    expect(await t.indexes.page('s:pending', 10)).toEqual([]);
  });

  it('indexes: index names are any strings (user ids, colons, spaces, non-ASCII) and stay apart', async () => {
    const { t } = await make();
    const names = ['e:order/42', 'e:order:42', 'e:order 42', 'e:ordér-42', 'e:' + 'x'.repeat(300), 'e:.dots..'];
    await Promise.all(names.map((n, i) => t.store.create(`run.n${i}`, enc('v'), { listing: listing(`0007.n${i}`, n) })));
    for (const [i, n] of names.entries()) expect(await t.indexes.page(n, 10)).toEqual([`0007.n${i}`]);
  });
}
