/**
 * `step.invoke` and `onFailure` end to end, on every transport: the child's
 * output returned, its failure and its timeout caught as StepFailedError,
 * no second child when the parent retries, an unserved function refused,
 * and a failure handler run once, linked both ways with the failed run.
 */
import { expect, it } from 'vitest';
import { ConfigError, defineFunction, StepFailedError, type FailureContext, type RunRecord } from '../../index.js';
import type { SuiteContext } from './suite-context.js';

const fast = { type: 'fixed', delay: 20, jitter: false } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function invokeCases({ ns, make, settled }: SuiteContext): void {
  it('invoke: returns the child run output; the child is a run of its own linked to its parent', async () => {
    const namespace = ns();
    const score = defineFunction({ id: 'score-lead', trigger: { event: 'lead/score' } }, async ({ event, step }) => {
      const base = await step.run('base', () => (event.data as { id: string }).id.length);
      return { score: base * 10 };
    });
    const parent = defineFunction({ id: 'qualify', trigger: { event: 'lead/created' } }, async ({ event, step }) => {
      const result = await step.invoke('score', { function: score, data: { id: (event.data as { id: string }).id }, timeout: '20s' });
      const after = await step.run('after', () => 'done');
      return { result, after };
    });
    const rt = await make({ namespace, functions: [parent, score] });
    const statuses: string[] = [];
    rt.on('run', (c) => c.functionId === 'qualify' && statuses.push(`${c.from}>${c.to}`));
    await rt.send({ name: 'lead/created', data: { id: 'abcd' } });
    await settled(rt, 2);
    const runs = await rt.listRuns();
    const p = runs.find((r) => r.functionId === 'qualify') as RunRecord;
    const c = runs.find((r) => r.functionId === 'score-lead') as RunRecord;
    expect(p).toMatchObject({ status: 'succeeded', output: { result: { score: 40 }, after: 'done' }, attempt: 1 });
    expect(c).toMatchObject({ status: 'succeeded', output: { score: 40 }, parentRunId: p.id, parentStepId: 'score' });
    expect(c.event).toMatchObject({ name: 'eventide/function.invoked', data: { id: 'abcd' } });
    expect(p.steps.score).toMatchObject({ kind: 'invoke', status: 'succeeded', invoked: { runId: c.id, functionId: 'score-lead' } });
    // Parked like a sleep while the child ran: no worker held.
    expect(statuses).toEqual(['pending>running', 'running>sleeping', 'sleeping>running', 'running>succeeded']);
  });

  it('invoke: a failed child throws StepFailedError into the parent, which may catch it', async () => {
    const namespace = ns();
    const child = defineFunction({ id: 'charge-card', trigger: { event: 'card/charge' }, retries: 1, backoff: fast }, async () => {
      throw new Error('card declined');
    });
    let caught: unknown;
    const parent = defineFunction({ id: 'checkout', trigger: { event: 'cart/checkout' } }, async ({ step }) => {
      try {
        await step.invoke('charge', { function: child, data: {} });
        return 'charged';
      } catch (e) {
        caught = e;
        return { failed: (e as Error).message };
      }
    });
    const rt = await make({ namespace, functions: [parent, child] });
    await rt.send({ name: 'cart/checkout', data: {} });
    await settled(rt, 2);
    expect(caught).toBeInstanceOf(StepFailedError);
    expect((caught as StepFailedError).stepId).toBe('charge');
    const p = (await rt.listRuns({ functionId: 'checkout' }))[0];
    const c = (await rt.listRuns({ functionId: 'charge-card' }))[0];
    expect(c).toMatchObject({ status: 'failed', attempt: 2 });
    expect(p.status).toBe('succeeded');
    expect((p.output as { failed: string }).failed).toContain('card declined');
    expect(p.steps.charge).toMatchObject({ status: 'failed', invoked: { runId: c.id } });
  });

  it('invoke: a child past the timeout throws StepFailedError (TimeoutError); its late end leaves the parent alone', async () => {
    const namespace = ns();
    const slow = defineFunction({ id: 'slow-report', trigger: { event: 'report/build' } }, async ({ step }) => {
      await step.sleep('build', 1_200);
      return 'report';
    });
    const parent = defineFunction({ id: 'dashboard', trigger: { event: 'dash/open' } }, async ({ step }) => {
      try {
        return await step.invoke('report', { function: 'slow-report', data: {}, timeout: 300 });
      } catch (e) {
        return { timedOut: e instanceof StepFailedError, message: (e as Error).message };
      }
    });
    const rt = await make({ namespace, functions: [parent, slow] });
    const started = Date.now();
    await rt.send({ name: 'dash/open', data: {} });
    await settled(rt, 1, { functionId: 'dashboard' });
    expect(Date.now() - started).toBeLessThan(1_200);
    await settled(rt, 2);
    await sleep(300);
    const p = (await rt.listRuns({ functionId: 'dashboard' }))[0];
    expect(p.status).toBe('succeeded');
    expect(p.output).toMatchObject({ timedOut: true });
    expect((p.output as { message: string }).message).toContain('timeout');
    expect(p.steps.report).toMatchObject({ status: 'failed', error: { name: 'TimeoutError' } });
    expect((await rt.listRuns({ functionId: 'slow-report' }))[0]).toMatchObject({ status: 'succeeded', output: 'report' });
  });

  it('invoke: a parent retried after the invoke does not start a second child', async () => {
    const namespace = ns();
    let childBodies = 0;
    const child = defineFunction({ id: 'reserve', trigger: { event: 'stock/reserve' } }, async () => {
      childBodies++;
      return { reserved: childBodies };
    });
    let shipTries = 0;
    const parent = defineFunction({ id: 'fulfil', trigger: { event: 'order/placed' }, retries: 3, backoff: fast }, async ({ step }) => {
      const reserved = await step.invoke('reserve', { function: child, data: {} });
      // Fails outside a step once: the whole handler runs again, the invoke returns its stored output.
      if (++shipTries < 3) throw new Error('carrier down');
      return reserved;
    });
    const rt = await make({ namespace, functions: [parent, child] });
    await rt.send({ name: 'order/placed', data: {} });
    await settled(rt, 2);
    await sleep(200);
    expect(childBodies).toBe(1);
    expect(await rt.listRuns({ functionId: 'reserve' })).toHaveLength(1);
    const p = (await rt.listRuns({ functionId: 'fulfil' }))[0];
    expect(p).toMatchObject({ status: 'succeeded', output: { reserved: 1 }, attempt: 3 });
  });

  it('invoke: runs a function by id that another runtime of the namespace serves', async () => {
    const namespace = ns();
    const child = defineFunction({ id: 'remote-child', trigger: { event: 'remote/child' } }, async ({ event }) => ({
      echoed: event.data,
    }));
    const parent = defineFunction({ id: 'local-parent', trigger: { event: 'local/go' } }, async ({ step }) =>
      step.invoke('call', { function: 'remote-child', data: { n: 7 } }),
    );
    await make({ namespace, functions: [child] });
    const rt = await make({ namespace, functions: [parent] });
    await rt.send({ name: 'local/go', data: {} });
    await settled(rt, 2);
    expect((await rt.listRuns({ functionId: 'local-parent' }))[0]).toMatchObject({ status: 'succeeded', output: { echoed: { n: 7 } } });
  });

  it('invoke: a function no runtime serves fails the step clearly', async () => {
    const namespace = ns();
    const parent = defineFunction({ id: 'lonely', trigger: { event: 'x/lonely' } }, async ({ step }) => {
      try {
        await step.invoke('missing', { function: 'nobody-serves-this', data: {} });
        return 'unexpected';
      } catch (e) {
        return (e as Error).message;
      }
    });
    const rt = await make({ namespace, functions: [parent] });
    await rt.send({ name: 'x/lonely', data: {} });
    await settled(rt, 1);
    const [run] = await rt.listRuns();
    expect(run.status).toBe('succeeded');
    expect(run.output).toContain('no runtime of this namespace serves a function "nobody-serves-this"');
  });

  it('onFailure: runs once as a durable run of its own, with the event, the error and the failed run', async () => {
    const namespace = ns();
    const seen: FailureContext[] = [];
    let notifyTries = 0;
    const fn = defineFunction(
      {
        id: 'import-csv',
        trigger: { event: 'csv/uploaded' },
        retries: 1,
        backoff: fast,
        onFailure: async (ctx) => {
          seen.push(ctx);
          // A step of the failure handler that fails once is retried like any step.
          await ctx.step.run('notify', () => {
            if (++notifyTries < 2) throw new Error('pager busy');
            return 'paged';
          });
          ctx.logger.info('paged the on-call', { failed: ctx.runId });
          return { paged: ctx.runId };
        },
      },
      async () => {
        throw new Error('malformed row 3');
      },
    );
    expect(() => defineFunction({ id: 'bad', trigger: { event: 'x' }, onFailure: 'nope' as never }, () => 1)).toThrow(ConfigError);
    const rt = await make({ namespace, functions: [fn] });
    await rt.send({ name: 'csv/uploaded', data: { file: 'a.csv' }, id: 'upload-1' });
    await settled(rt, 2);
    await sleep(200);
    const failed = (await rt.listRuns({ functionId: 'import-csv' }))[0];
    const handlers = await rt.listRuns({ functionId: 'import-csv-failure' });
    expect(failed).toMatchObject({ status: 'failed', attempt: 2 });
    expect(handlers).toHaveLength(1);
    const handler = handlers[0];
    expect(handler).toMatchObject({ status: 'succeeded', failureOf: failed.id, output: { paged: failed.id } });
    expect(failed.onFailureRunId).toBe(handler.id);
    expect(handler.steps.notify.attempts).toBe(2);
    expect(handler.logs.map((l) => l.message)).toContain('paged the on-call');
    expect(seen.length).toBeGreaterThanOrEqual(1);
    expect(seen[0].event).toMatchObject({ name: 'csv/uploaded', id: 'upload-1', data: { file: 'a.csv' } });
    expect(seen[0].error).toBeInstanceOf(Error);
    expect(seen[0].error.message).toBe('malformed row 3');
    expect(seen[0]).toMatchObject({ runId: failed.id, functionId: 'import-csv', handlerRunId: handler.id });
    expect(rt.listFunctions().map((f) => f.id)).toEqual(['import-csv', 'import-csv-failure']);
  });
}
