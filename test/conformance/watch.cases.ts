/**
 * Conformance cases for resumable watches (core/transport.ts, WatchOptions):
 * each broadcast has a position, a watch resumes after one with no gap and
 * no duplicate where the replay meets the live stream, and a position the
 * window no longer covers is reported as a gap, never passed over. Called
 * from the transport suite, so they run unchanged on every transport.
 */
import { expect, it } from 'vitest';
import type { Position, Transport, WatchGap } from '../../core/transport.js';

export type MakeWatched = () => Promise<{ t: Transport }>;

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

interface Seen {
  data: string;
  position: Position;
}

/** A watcher that records what it is given, gaps included, in the order it was given them. */
function recorder() {
  const seen: Seen[] = [];
  const gaps: WatchGap[] = [];
  const log: string[] = [];
  return {
    seen,
    gaps,
    log,
    listener: (d: Uint8Array, position: Position) => {
      seen.push({ data: dec(d), position });
      log.push(dec(d));
    },
    onGap: (gap: WatchGap) => {
      gaps.push(gap);
      log.push(`gap:${gap.reason}`);
    },
    texts: () => seen.map((s) => s.data),
  };
}

/** Positions are opaque, but each transport's are decimal counters that rise in the order of the channel. */
const rising = (seen: Seen[]) => seen.every((s, i) => i === 0 || BigInt(s.position) > BigInt(seen[i - 1].position));

export function watchConformance(make: MakeWatched, makeWindowed: MakeWatched): void {
  it('watch: hands each broadcast on with its position, rising, after the position the watch began at', async () => {
    const { t } = await make();
    await t.broadcast('runs', enc('before'));
    const r = recorder();
    const w = await t.watch('runs', r.listener);
    expect(w.position).toMatch(/^\d+$/);
    for (let i = 0; i < 5; i++) await t.broadcast('runs', enc(`c${i}`), i % 2 ? 'fn-a' : undefined);
    await until(() => r.seen.length === 5, 10_000, 'five broadcasts');
    expect(r.texts()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(rising(r.seen)).toBe(true);
    expect(BigInt(r.seen[0].position)).toBeGreaterThan(BigInt(w.position));
    await w();
  });

  it('watch: resumes after a position: what came meanwhile is replayed, then live ones follow, and no gap is reported', async () => {
    const { t } = await make();
    const first = recorder();
    const w1 = await t.watch('runs', first.listener);
    await t.broadcast('runs', enc('a'));
    await t.broadcast('runs', enc('b'));
    await until(() => first.seen.length === 2, 10_000, 'a and b');
    await w1();
    for (const s of ['c', 'd', 'e']) await t.broadcast('runs', enc(s), 'fn');
    const second = recorder();
    const after = first.seen[1].position;
    const w2 = await t.watch('runs', second.listener, { after, onGap: second.onGap });
    expect(w2.position).toBe(after);
    await until(() => second.seen.length === 3, 10_000, 'the replay');
    await t.broadcast('runs', enc('f'));
    await until(() => second.seen.length === 4, 10_000, 'the live one');
    await sleep(100);
    expect(second.log).toEqual(['c', 'd', 'e', 'f']);
    expect(BigInt(second.seen[0].position)).toBeGreaterThan(BigInt(after));
    expect(rising(second.seen)).toBe(true);
    await w2();
  });

  it('watch: resuming after the newest position replays nothing; resuming at the start position of an idle watch misses nothing', async () => {
    const { t } = await make();
    const idle = await t.watch('runs', () => undefined);
    await idle();
    await t.broadcast('runs', enc('x'));
    const r = recorder();
    const w = await t.watch('runs', r.listener, { after: idle.position, onGap: r.onGap });
    await until(() => r.seen.length === 1, 10_000, 'x');
    const last = r.seen[0].position;
    await w();
    const again = recorder();
    const w2 = await t.watch('runs', again.listener, { after: last, onGap: again.onGap });
    await sleep(200);
    expect(again.log).toEqual([]);
    await t.broadcast('runs', enc('y'));
    await until(() => again.seen.length === 1, 10_000, 'y');
    expect(again.log).toEqual(['y']);
    expect(r.log).toEqual(['x']);
    await w2();
  });

  it('watch: no gap and no duplicate where the replay meets the live stream, while broadcasts keep coming', async () => {
    const { t } = await make();
    const total = 300;
    const collected: string[] = [];
    const gaps: WatchGap[] = [];
    let last: Position | undefined;
    const start = await t.watch('runs', () => undefined);
    last = start.position;
    await start();
    // Broadcasts go out one after another while the watcher drops and resumes several times.
    let produced = false;
    const producing = (async () => {
      for (let i = 0; i < total; i++) {
        await t.broadcast('runs', enc(`m${i}`), i % 3 ? 'fn-b' : 'fn-a');
        if (i % 3 === 0) await sleep(1);
      }
      produced = true;
    })();
    let resumedWhileProducing = 0;
    for (let round = 0; round < 8 && !produced; round++) {
      resumedWhileProducing++;
      const w = await t.watch(
        'runs',
        (d, p) => {
          collected.push(dec(d));
          last = p;
        },
        { after: last, onGap: (g) => gaps.push(g) },
      );
      await sleep(10 + round * 5);
      await w();
    }
    await producing;
    expect(resumedWhileProducing).toBeGreaterThanOrEqual(3);
    const tail = await t.watch(
      'runs',
      (d, p) => {
        collected.push(dec(d));
        last = p;
      },
      { after: last, onGap: (g) => gaps.push(g) },
    );
    await until(() => collected.length >= total, 20_000, `all ${total} broadcasts`);
    await sleep(100);
    await tail();
    expect(gaps).toEqual([]);
    expect(collected).toEqual(Array.from({ length: total }, (_, i) => `m${i}`));
  });

  it('watch: a position no broadcast of the channel ever had is reported (unknown), then what the window holds follows', async () => {
    for (const after of ['987654321987', 'not-a-position']) {
      const { t } = await make();
      await t.broadcast('runs', enc('held-1'));
      await t.broadcast('runs', enc('held-2'));
      const r = recorder();
      const w = await t.watch('runs', r.listener, { after, onGap: r.onGap });
      await until(() => r.seen.length === 2, 10_000, 'what the window holds');
      await t.broadcast('runs', enc('live'));
      await until(() => r.seen.length === 3, 10_000, 'the live one');
      await sleep(50);
      expect(r.log).toEqual(['gap:unknown', 'held-1', 'held-2', 'live']);
      expect(r.gaps).toEqual([{ after, reason: 'unknown' }]);
      await w();
    }
  });

  it('watch: a position older than the window is reported (expired) before what the window still holds, which follows without a break', async () => {
    const { t } = await makeWindowed();
    const r0 = recorder();
    const w0 = await t.watch('runs', r0.listener);
    await t.broadcast('runs', enc('old-0'));
    await until(() => r0.seen.length === 1, 10_000, 'the first broadcast');
    const oldPosition = r0.seen[0].position;
    await w0();
    // Right away the window still holds what follows the old position: no gap.
    const fresh = recorder();
    await t.broadcast('runs', enc('old-1'));
    const wf = await t.watch('runs', fresh.listener, { after: oldPosition, onGap: fresh.onGap });
    await until(() => fresh.seen.length === 1, 10_000, 'old-1');
    await wf();
    expect(fresh.log).toEqual(['old-1']);
    // Broadcast on (the window drops by count or by age) until resuming after the old position reports the gap.
    let n = 0;
    let resumed: ReturnType<typeof recorder> | undefined;
    const end = Date.now() + 20_000;
    while (!resumed) {
      if (Date.now() > end) throw new Error('the window never dropped the old broadcasts');
      for (let i = 0; i < 40; i++) await t.broadcast('runs', enc(`n${n++}`));
      await sleep(100);
      const probe = recorder();
      const w = await t.watch('runs', probe.listener, { after: oldPosition, onGap: probe.onGap });
      await sleep(50);
      await w();
      if (probe.gaps.length > 0) resumed = probe;
    }
    // The same again, now to check what follows the gap: the last broadcast, then a live one, in order, with no second gap.
    const r = recorder();
    const w = await t.watch('runs', r.listener, { after: oldPosition, onGap: r.onGap });
    await until(() => r.log.includes(`n${n - 1}`), 10_000, 'the newest held broadcast');
    await t.broadcast('runs', enc('live'));
    await until(() => r.log.includes('live'), 10_000, 'the live one');
    await w();
    expect(r.log[0]).toBe('gap:expired');
    expect(r.gaps).toEqual([{ after: oldPosition, reason: 'expired' }]);
    const held = r.texts();
    expect(held.at(-1)).toBe('live');
    expect(held).not.toContain('old-0');
    // What follows the gap is a run of consecutive broadcasts ending with the newest.
    const numbers = held.slice(0, -1).map((s) => Number(s.slice(1)));
    expect(numbers.length).toBeGreaterThan(0);
    expect(numbers.every((x, i) => i === 0 || x === numbers[i - 1] + 1)).toBe(true);
    expect(numbers.at(-1)).toBe(n - 1);
    expect(rising(r.seen)).toBe(true);
  });
}
