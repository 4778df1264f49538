/**
 * Run queries read the transport's indexes: newest first, a page at a time
 * from a cursor, by function, status and event, and a run that changes
 * status (or is cancelled, or deleted by retention) moves in them.
 */
import { expect, it } from 'vitest';
import { ConfigError, defineFunction, NonRetriableError, runCursor, type RunRecord, type Runtime } from '../../index.js';
import { until } from '../conformance/transport.suite.js';
import type { SuiteContext } from './suite-context.js';

/** Newest first: created later first, then by run id. */
const newestFirst = (a: RunRecord, b: RunRecord) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1);

async function walk(rt: Runtime, query: Parameters<Runtime['listRuns']>[0], pageSize: number): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 1_000; i++) {
    const page = await rt.listRuns({ ...query, limit: pageSize, cursor });
    out.push(...page);
    if (page.length < pageSize) return out;
    cursor = runCursor(page[page.length - 1]);
  }
  throw new Error('the run list never ended');
}

export function listRunsCases({ ns, make, settled }: SuiteContext): void {
  it('listRuns: newest first, page by page from a cursor, by function, status and event; ended runs are in no running list', async () => {
    const namespace = ns();
    const odd = defineFunction({ id: 'lr-check', trigger: { event: 'lr/item' }, retries: 0 }, async ({ event }) => {
      if ((event.data as { n: number }).n % 3 === 0) throw new NonRetriableError('divisible by three');
      return 'ok';
    });
    const echo = defineFunction({ id: 'lr-echo', trigger: { event: 'lr/item' } }, async () => 'echo');
    const rt = await make({ namespace, functions: [odd, echo] });
    const { ids } = await rt.send(Array.from({ length: 24 }, (_, n) => ({ name: 'lr/item', data: { n } })));
    await settled(rt, 48);

    const everything = await walk(rt, {}, 7);
    expect(everything).toHaveLength(48);
    expect(new Set(everything.map((r) => r.id)).size).toBe(48);
    expect(everything.map((r) => r.id)).toEqual([...everything].sort(newestFirst).map((r) => r.id));

    const failed = await walk(rt, { functionId: 'lr-check', status: 'failed' }, 3);
    expect(failed.map((r) => r.id).sort()).toEqual(
      everything
        .filter((r) => r.functionId === 'lr-check' && r.status === 'failed')
        .map((r) => r.id)
        .sort(),
    );
    expect(failed).toHaveLength(8);
    expect(failed.every((r) => (r.event.data as { n: number }).n % 3 === 0)).toBe(true);
    expect(await walk(rt, { functionId: 'lr-echo' }, 10)).toHaveLength(24);
    expect(await walk(rt, { status: 'succeeded' }, 50)).toHaveLength(40);
    for (const status of ['pending', 'running', 'retrying'] as const) expect(await rt.listRuns({ status })).toEqual([]);

    const ofEvent = await rt.listRuns({ eventId: ids[5] });
    expect(ofEvent.map((r) => r.functionId).sort()).toEqual(['lr-check', 'lr-echo']);
    expect(await rt.listRuns({ eventId: ids[5], functionId: 'lr-echo' })).toHaveLength(1);
    expect(await rt.listRuns({ eventId: ids[6], status: 'failed' })).toHaveLength(1);

    // The first page and the default limit.
    const first = await rt.listRuns({ limit: 5 });
    expect(first.map((r) => r.id)).toEqual(everything.slice(0, 5).map((r) => r.id));
    await expect(rt.listRuns({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(ConfigError);
  });

  it('listRuns: a cancelled sleeping run leaves the sleeping list for the cancelled one', async () => {
    const namespace = ns();
    const sleeper = defineFunction({ id: 'lr-sleeper', trigger: { event: 'lr/sleep' } }, async ({ step }) => {
      await step.sleep('nap', '1h');
    });
    const rt = await make({ namespace, functions: [sleeper] });
    await rt.send({ name: 'lr/sleep', data: {} });
    await until(async () => (await rt.listRuns({ status: 'sleeping' })).length === 1, 10_000, 'the run to sleep');
    const [run] = await rt.listRuns({ functionId: 'lr-sleeper', status: 'sleeping' });
    await rt.cancel(run.id);
    expect(await rt.listRuns({ status: 'sleeping' })).toEqual([]);
    expect((await rt.listRuns({ functionId: 'lr-sleeper', status: 'cancelled' })).map((r) => r.id)).toEqual([run.id]);
  });

  it('listRuns: runs deleted by retention leave every list', async () => {
    const namespace = ns();
    const quick = defineFunction({ id: 'lr-quick', trigger: { event: 'lr/quick' } }, async () => 'done');
    const rt = await make({ namespace, functions: [quick], keepFinishedRuns: { count: 3 } });
    await rt.send(Array.from({ length: 10 }, (_, n) => ({ name: 'lr/quick', data: { n } })));
    await until(async () => (await rt.listRuns({ status: 'succeeded', limit: 50 })).length === 3, 15_000, 'retention to keep 3 runs');
    expect(await walk(rt, { functionId: 'lr-quick' }, 2)).toHaveLength(3);
    expect(await rt.listRuns({ limit: 50 })).toHaveLength(3);
  });
}
