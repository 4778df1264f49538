/**
 * Durable steps keep their promise, on every transport: a completed step
 * never runs again (also a parallel sibling of one that failed), an ended
 * run leaves no step open, a line logged after the last step is kept once,
 * and replay is idempotent (the original is marked, a bulk replay leaves it
 * out).
 */
import { expect, it } from 'vitest';
import { defineFunction, NonRetriableError } from '../../index.js';
import { until } from '../conformance/transport.suite.js';
import type { SuiteContext } from './suite-context.js';

const fast = { type: 'fixed', delay: 20, jitter: false } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function durableCases({ ns, make, settled }: SuiteContext): void {
  it('durable: a parallel step that completed while its sibling failed does not run again on the retry', async () => {
    const namespace = ns();
    const runs = { a: 0, b: 0 };
    const fn = defineFunction({ id: 'fan', trigger: { event: 'fan/out' }, backoff: fast }, async ({ step }) => {
      const [a, b] = await Promise.all([
        step.run('a', () => {
          if (++runs.a === 1) throw new Error('a is flaky once');
          return 'A';
        }),
        step.run('b', async () => {
          await sleep(80);
          runs.b++;
          return 'B';
        }),
      ]);
      return a + b;
    });
    const rt = await make({ namespace, functions: [fn] });
    await rt.send({ name: 'fan/out', data: {} });
    await settled(rt, 1);
    const [run] = await rt.listRuns();
    expect(run.status).toBe('succeeded');
    expect(run.output).toBe('AB');
    expect(runs).toEqual({ a: 2, b: 1 });
    expect(run.steps.b).toMatchObject({ status: 'succeeded', attempts: 1, output: 'B' });
  });

  it('durable: a cancelled sleeping run leaves no step sleeping', async () => {
    const namespace = ns();
    const fn = defineFunction({ id: 'napper', trigger: { event: 'nap/long' } }, async ({ step }) => {
      await step.run('before', () => 1);
      await step.sleep('nap', '1h');
    });
    const rt = await make({ namespace, functions: [fn] });
    await rt.send({ name: 'nap/long', data: {} });
    await until(async () => (await rt.listRuns())[0]?.status === 'sleeping', 10_000, 'the run to sleep');
    const [sleeping] = await rt.listRuns();
    const cancelled = await rt.cancel(sleeping.id);
    expect(cancelled.steps.nap).toMatchObject({ status: 'cancelled', endedAt: cancelled.endedAt });
    const stored = await rt.getRun(sleeping.id);
    expect(stored?.status).toBe('cancelled');
    expect(Object.values(stored?.steps ?? {}).map((s) => `${s.id}:${s.status}`)).toEqual(['before:succeeded', 'nap:cancelled']);
  });

  it('durable: a run that fails for good leaves no step retrying', async () => {
    const namespace = ns();
    const fn = defineFunction({ id: 'pair', trigger: { event: 'pair/go' }, backoff: fast, retries: 1 }, async ({ step }) => {
      await Promise.all([
        step.run('slow-flaky', async () => {
          await sleep(60);
          throw new Error('still down');
        }),
        step.run('doomed', () => {
          throw new NonRetriableError('bad input');
        }),
      ]);
    });
    const rt = await make({ namespace, functions: [fn] });
    await rt.send({ name: 'pair/go', data: {} });
    await settled(rt, 1);
    const [run] = await rt.listRuns();
    expect(run.status).toBe('failed');
    for (const s of Object.values(run.steps)) expect(['succeeded', 'failed', 'cancelled']).toContain(s.status);
    expect(run.steps['slow-flaky'].endedAt).toBeDefined();
  });

  it('durable: a line logged after the last step is kept once when the attempt fails outside a step', async () => {
    const namespace = ns();
    let tries = 0;
    const fn = defineFunction({ id: 'tail', trigger: { event: 'tail/log' }, backoff: fast }, async ({ step, logger, attempt }) => {
      await step.run('only', () => 1);
      logger.info('after the last step');
      logger.info('try', { attempt });
      if (++tries < 3) throw new Error('fails outside a step');
      return tries;
    });
    const rt = await make({ namespace, functions: [fn] });
    await rt.send({ name: 'tail/log', data: {} });
    await settled(rt, 1);
    const [run] = await rt.listRuns();
    expect(run.status).toBe('succeeded');
    expect(run.attempt).toBe(3);
    // The same line from the same code is kept once; a line that says something new on a later attempt is kept.
    expect(run.logs.map((l) => `${l.message}:${l.attempt}`)).toEqual(['after the last step:1', 'try:1', 'try:2', 'try:3']);
  });

  it('durable: replay marks the original, and a second bulk replay runs nothing again', async () => {
    const namespace = ns();
    let broken = true;
    const charged: number[] = [];
    const fn = defineFunction({ id: 'charge', trigger: { event: 'order/placed' }, retries: 0 }, async ({ event, step }) => {
      return step.run('charge', () => {
        if (broken) throw new Error('card processor bug');
        const n = (event.data as { n: number }).n;
        charged.push(n);
        return n;
      });
    });
    const rt = await make({ namespace, functions: [fn] });
    await rt.send([1, 2, 3, 4].map((n) => ({ name: 'order/placed', data: { n } })));
    await settled(rt, 4);
    const failed = await rt.listRuns({ functionId: 'charge', status: 'failed' });
    expect(failed).toHaveLength(4);
    broken = false;
    // Two bulk replays at once (two clicks, two operators) start one replay per failed run.
    const [first, second] = await Promise.all([rt.replay({ functionId: 'charge' }), rt.replay({ functionId: 'charge' })]);
    const ids = [...new Set([...first, ...second])];
    expect(ids).toHaveLength(4);
    await settled(rt, 8);
    await sleep(200);
    expect(charged.sort()).toEqual([1, 2, 3, 4]);
    const originals = await Promise.all(failed.map((r) => rt.getRun(r.id)));
    for (const o of originals) {
      expect(o?.status).toBe('failed');
      expect(ids).toContain(o?.replayedBy);
    }
    // Already replayed: a bulk replay leaves them out.
    expect(await rt.replay({ functionId: 'charge', status: 'failed' })).toEqual([]);
    await sleep(200);
    expect(await rt.listRuns({ functionId: 'charge' })).toHaveLength(8);
    expect(charged).toHaveLength(4);
    // Asked for by id, a run is replayed again (the user means it), and the mark moves to the newest replay.
    const again = await rt.replay({ runIds: [failed[0].id] });
    expect(again).toHaveLength(1);
    expect(ids).not.toContain(again[0]);
    await until(async () => (await rt.getRun(again[0]))?.status === 'succeeded', 10_000, 'the explicit replay');
    expect((await rt.getRun(failed[0].id))?.replayedBy).toBe(again[0]);
  });
}
