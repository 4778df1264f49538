/**
 * Retention's bookkeeping: a store that expires values itself gets the age
 * with each finished run and nothing is kept in memory for it; otherwise the
 * process remembers a bounded number of runs, so a long-lived worker does
 * not grow, and forgets (never deletes early) the oldest beyond the bound.
 */
import { describe, expect, it } from 'vitest';
import { TestClock } from '../../core/clock.js';
import { maxTracked, Retention } from '../../core/retention.js';
import type { KVStore } from '../../core/transport.js';
import type { RunStateChange } from '../../core/types.js';

function store(expires: boolean) {
  const deleted: string[] = [];
  const s: KVStore = {
    expires,
    get: async () => undefined,
    create: async () => 1,
    update: async () => 1,
    delete: async (key) => void deleted.push(key),
    keys: async () => [],
  };
  return { s, deleted };
}

const change = (runId: string, to: RunStateChange['to'], at: number): RunStateChange => ({
  runId,
  functionId: 'f',
  eventId: 'e',
  from: 'running',
  to,
  attempt: 1,
  at,
});

describe('retention of finished runs', () => {
  it('leaves expiry to a store that expires values, tracking only what a count needs', async () => {
    const clock = new TestClock();
    const { s, deleted } = store(true);
    const r = new Retention(
      { ageMs: 60_000, count: 2 },
      clock,
      () => s,
      () => {},
    );
    expect(r.expireMs()).toBe(60_000);
    for (let i = 0; i < 4; i++) r.ended(change(`ok${i}`, 'succeeded', clock.now()), `run.ok${i}`);
    r.ended(change('bad', 'failed', clock.now()), 'run.bad');
    await clock.advance(120_000);
    // The two oldest go by count; nothing goes by age from here: the store's own expiry does that.
    expect(deleted).toEqual(['run.ok0', 'run.ok1']);
    r.stop();
  });

  it(`remembers at most ${maxTracked} runs per kind for a store that cannot expire; older ones are forgotten, never deleted early`, async () => {
    const clock = new TestClock();
    const { s, deleted } = store(false);
    const r = new Retention(
      { ageMs: 60_000, count: Infinity },
      clock,
      () => s,
      () => {},
    );
    expect(r.expireMs()).toBeUndefined();
    const n = maxTracked + 5;
    for (let i = 0; i < n; i++) r.ended(change(`r${i}`, 'succeeded', clock.now()), `run.r${i}`);
    expect(deleted).toHaveLength(0);
    await clock.advance(61_000);
    r.sweep();
    expect(deleted).toHaveLength(maxTracked);
    expect(deleted[0]).toBe('run.r5');
    expect(deleted.at(-1)).toBe(`run.r${n - 1}`);
    r.stop();
  });
});
