import { describe, expect, it } from 'vitest';
import type { WatchGap } from '../../core/transport.js';
import { WatchCursor } from '../../core/lib/watch-cursor.js';

function cursor(after: string | undefined, consecutive = true) {
  const gaps: WatchGap[] = [];
  const c = new WatchCursor(after === undefined ? undefined : { after, onGap: (g) => gaps.push(g) }, consecutive);
  return { c, gaps };
}

describe('WatchCursor', () => {
  it('starts a fresh watch after the newest position, whatever is lost', () => {
    const { c, gaps } = cursor(undefined);
    c.begin(42, 40);
    expect(c.position).toBe(42);
    expect(c.next(43)).toBe(true);
    expect(gaps).toEqual([]);
  });

  it('resumes after its position when the window still holds what follows it', () => {
    const { c, gaps } = cursor('10');
    c.begin(20, 10);
    expect(c.position).toBe(10);
    expect([11, 12].map((p) => c.next(p))).toEqual([true, true]);
    expect(gaps).toEqual([]);
  });

  it('skips what it has had already (no duplicate at the junction)', () => {
    const { c } = cursor('10');
    c.begin(20, 0);
    expect([9, 10, 11, 11, 12].map((p) => c.next(p))).toEqual([false, false, true, false, true]);
  });

  it('reports a position behind the window as expired, once, and goes on after what was lost', () => {
    const { c, gaps } = cursor('5');
    c.begin(20, 12);
    expect(gaps).toEqual([{ after: '5', reason: 'expired' }]);
    expect(c.position).toBe(12);
    expect(c.next(13)).toBe(true);
    expect(gaps).toHaveLength(1);
  });

  it('reports a position past the newest, or no counter at all, as unknown', () => {
    for (const after of ['99', 'abc', '-1', '1.5']) {
      const { c, gaps } = cursor(after);
      c.begin(20, 3);
      expect(gaps).toEqual([{ after, reason: 'unknown' }]);
      expect(c.position).toBe(3);
    }
  });

  it('reports a jump between consecutive positions read later (the window was trimmed under a slow watcher)', () => {
    const { c, gaps } = cursor('10');
    c.begin(11, 0);
    expect(c.next(11)).toBe(true);
    expect(c.next(15)).toBe(true);
    expect(gaps).toEqual([{ after: '11', reason: 'expired' }]);
  });

  it('takes rising, not consecutive, positions as they come where a channel shares its counter', () => {
    const { c, gaps } = cursor('10', false);
    c.begin(50, 4);
    expect([13, 27].map((p) => c.next(p))).toEqual([true, true]);
    c.behind(20);
    expect(gaps).toEqual([]);
    c.behind(30);
    expect(gaps).toEqual([{ after: '27', reason: 'expired' }]);
  });

  it('keeps going when the gap listener throws', () => {
    const c = new WatchCursor(
      {
        after: '1',
        onGap: () => {
          throw new Error('listener bug');
        },
      },
      true,
    );
    c.begin(10, 5);
    expect(c.next(6)).toBe(true);
  });
});
