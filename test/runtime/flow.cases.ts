/**
 * Flow control end to end, on every transport: concurrency per function and
 * per key, fairness between keys, priority, throttle, a sleeping run's slot,
 * a key function that throws, and a cancel of a waiting run.
 */
import { expect, it } from 'vitest';
import { defineFunction, type RunRecord } from '../../index.js';
import type { SuiteContext } from './suite-context.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Records when each run executes, to count how many overlap. */
class Spans {
  readonly spans: { key: string; start: number; end: number }[] = [];
  private live = new Map<string, number>();
  readonly peak = new Map<string, number>();

  async run(key: string, ms: number): Promise<void> {
    const start = Date.now();
    const now = (this.live.get(key) ?? 0) + 1;
    this.live.set(key, now);
    this.peak.set(key, Math.max(this.peak.get(key) ?? 0, now));
    const all = (this.live.get('*') ?? 0) + 1;
    this.live.set('*', all);
    this.peak.set('*', Math.max(this.peak.get('*') ?? 0, all));
    await sleep(ms);
    this.live.set(key, (this.live.get(key) ?? 1) - 1);
    this.live.set('*', (this.live.get('*') ?? 1) - 1);
    this.spans.push({ key, start, end: Date.now() });
  }
}

export function flowCases({ ns, make, settled }: SuiteContext): void {
  it('flow: never runs more than the limit per key at once, while different keys overlap', async () => {
    const namespace = ns();
    const spans = new Spans();
    const fn = defineFunction(
      { id: 'crm-sync', trigger: { event: 'crm/sync' }, concurrency: { limit: 1, key: (e) => (e.data as { account: string }).account } },
      async ({ event }) => spans.run((event.data as { account: string }).account, 60),
    );
    const rt = await make({ namespace, functions: [fn] });
    const seen: RunRecord[] = [];
    rt.on('run', (c) => {
      if (c.to === 'waiting') void rt.getRun(c.runId).then((r) => r && seen.push(r));
    });
    await rt.send(Array.from({ length: 8 }, (_, i) => ({ name: 'crm/sync', data: { account: i % 2 ? 'A' : 'B' } })));
    await settled(rt, 8);
    expect((await rt.listRuns()).map((r) => r.status)).toEqual(Array(8).fill('succeeded'));
    expect(spans.peak.get('A')).toBe(1);
    expect(spans.peak.get('B')).toBe(1);
    expect(spans.peak.get('*')).toBe(2);
    await until(() => seen.length > 0, 5_000, 'a waiting run read back');
    expect(seen[0].waitingFor).toMatchObject({ limit: 'concurrency', option: 'concurrency' });
    expect(['A', 'B']).toContain(seen[0].waitingFor?.key);
  });

  it('flow: a function-wide limit and a per-key limit hold together', async () => {
    const namespace = ns();
    const spans = new Spans();
    const fn = defineFunction(
      {
        id: 'two-limits',
        trigger: { event: 'job/two' },
        concurrency: [{ limit: 2, key: (e) => (e.data as { k: string }).k }, 3],
      },
      async ({ event }) => spans.run((event.data as { k: string }).k, 40),
    );
    const rt = await make({ namespace, functions: [fn] });
    await rt.send(Array.from({ length: 18 }, (_, i) => ({ name: 'job/two', data: { k: ['x', 'y', 'z'][i % 3] } })));
    await settled(rt, 18);
    for (const k of ['x', 'y', 'z']) expect(spans.peak.get(k)).toBeLessThanOrEqual(2);
    expect(spans.peak.get('*')).toBe(3);
    expect(rt.listFunctions()[0].limits).toEqual({
      concurrency: [
        { option: 'concurrency[0]', limit: 2, perKey: true },
        { option: 'concurrency[1]', limit: 3, perKey: false },
      ],
    });
  });

  it('flow: a sleeping run holds no slot', async () => {
    const namespace = ns();
    const order: string[] = [];
    const fn = defineFunction({ id: 'sleeper', trigger: { event: 'job/sleep' }, concurrency: 1 }, async ({ event, step }) => {
      const name = (event.data as { name: string }).name;
      await step.run('before', () => order.push(`${name}:before`));
      if (name === 'long') await step.sleep('nap', 1_000);
      await step.run('after', () => order.push(`${name}:after`));
    });
    const rt = await make({ namespace, functions: [fn] });
    await rt.send({ name: 'job/sleep', data: { name: 'long' } });
    await until(() => order.includes('long:before'), 5_000, 'the long run to start');
    await rt.send({ name: 'job/sleep', data: { name: 'short' } });
    await settled(rt, 2);
    expect(order.indexOf('short:after')).toBeLessThan(order.indexOf('long:after'));
    const long = (await rt.listRuns()).find((r) => r.event.data && (r.event.data as { name: string }).name === 'long');
    expect(long?.attempt).toBe(1);
  });

  it('flow: runs waiting for a slot start by priority, equal priorities in arrival order', async () => {
    const namespace = ns();
    const started: string[] = [];
    let release!: () => void;
    const blocker = new Promise<void>((r) => (release = r));
    const fn = defineFunction(
      {
        id: 'prioritised',
        trigger: { event: 'job/p' },
        concurrency: 1,
        priority: (e) => (e.data as { p: number }).p,
      },
      async ({ event }) => {
        const { name } = event.data as { name: string };
        started.push(name);
        if (name === 'first') await blocker;
      },
    );
    const rt = await make({ namespace, functions: [fn] });
    await rt.send({ name: 'job/p', data: { name: 'first', p: 0 } });
    await until(() => started.length === 1, 5_000, 'the first run');
    const rest = [
      ['low-1', 0],
      ['high-1', 10],
      ['low-2', 0],
      ['high-2', 10],
    ] as const;
    for (const [i, [name, p]] of rest.entries()) {
      await rt.send({ name: 'job/p', data: { name, p } });
      await until(async () => (await rt.listRuns({ status: 'waiting' })).length === i + 1, 5_000, `${name} to wait`);
    }
    release();
    await settled(rt, 5);
    expect(started).toEqual(['first', 'high-1', 'high-2', 'low-1', 'low-2']);
  });

  it('flow: throttle spreads starts over the period and drops nothing', async () => {
    const namespace = ns();
    const starts: number[] = [];
    const fn = defineFunction(
      { id: 'throttled', trigger: { event: 'mail/send' }, throttle: { limit: 4, period: '1s' } },
      async () => void starts.push(Date.now()),
    );
    const rt = await make({ namespace, functions: [fn] });
    await rt.send(Array.from({ length: 8 }, (_, i) => ({ name: 'mail/send', data: { i } })));
    await until(async () => (await rt.listRuns({ status: 'waiting' })).length > 0, 5_000, 'a throttled run to wait');
    const waiting = (await rt.listRuns({ status: 'waiting' }))[0];
    expect(waiting.waitingFor).toMatchObject({ limit: 'throttle', option: 'throttle' });
    expect(waiting.waitingFor?.until).toBeGreaterThan(waiting.waitingFor?.since ?? Infinity);
    await settled(rt, 8);
    starts.sort((a, b) => a - b);
    expect(starts).toHaveLength(8);
    // One start every 250 ms: any 1 s window holds at most 4 (+1 at its closed edge), and the last starts ~1.75 s after the first.
    for (const s of starts) expect(starts.filter((t) => t >= s && t < s + 1_000 - 50).length).toBeLessThanOrEqual(4);
    expect(starts[7] - starts[0]).toBeGreaterThan(1_500);
  });

  it('flow: a key function that throws fails its run, naming the function and option; other runs go on', async () => {
    const namespace = ns();
    let ran = 0;
    const fn = defineFunction(
      {
        id: 'keyed',
        trigger: { event: 'job/k' },
        concurrency: {
          limit: 2,
          key: (e) => {
            const k = (e.data as { k?: string }).k;
            if (!k) throw new Error('no k in this event');
            return k;
          },
        },
      },
      async () => void ran++,
    );
    const rt = await make({ namespace, functions: [fn] });
    await rt.send([
      { name: 'job/k', data: { k: 'a' } },
      { name: 'job/k', data: {} },
      { name: 'job/k', data: { k: 'b' } },
    ]);
    await settled(rt, 3);
    const runs = await rt.listRuns();
    expect(runs.filter((r) => r.status === 'succeeded')).toHaveLength(2);
    const failed = runs.find((r) => r.status === 'failed');
    expect(failed?.error?.message).toBe('function "keyed": the key of concurrency threw: no k in this event');
    expect(ran).toBe(2);
  });

  it('flow: a cancelled waiting run never runs and gives its place up', async () => {
    const namespace = ns();
    const started: string[] = [];
    let release!: () => void;
    const blocker = new Promise<void>((r) => (release = r));
    const fn = defineFunction({ id: 'cancellable', trigger: { event: 'job/c' }, concurrency: 1 }, async ({ event }) => {
      const { name } = event.data as { name: string };
      started.push(name);
      if (name === 'first') await blocker;
    });
    const rt = await make({ namespace, functions: [fn] });
    await rt.send({ name: 'job/c', data: { name: 'first' } });
    await until(() => started.length === 1, 5_000, 'the first run');
    await rt.send({ name: 'job/c', data: { name: 'doomed' } });
    await until(async () => (await rt.listRuns({ status: 'waiting' })).length === 1, 5_000, 'doomed to wait');
    await rt.send({ name: 'job/c', data: { name: 'last' } });
    await until(async () => (await rt.listRuns({ status: 'waiting' })).length === 2, 5_000, 'last to wait');
    const doomed = (await rt.listRuns({ status: 'waiting' })).find(
      (r) => (r.event.data as { name: string }).name === 'doomed',
    ) as RunRecord;
    expect((await rt.cancel(doomed.id)).status).toBe('cancelled');
    release();
    await settled(rt, 3);
    expect(started).toEqual(['first', 'last']);
  });

  it('flow: one key with a backlog never delays another key', async () => {
    const namespace = ns();
    let startedB = 0;
    let doneA = 0;
    const fn = defineFunction(
      { id: 'fair', trigger: { event: 'job/f' }, concurrency: { limit: 1, key: (e) => (e.data as { k: string }).k } },
      async ({ event }) => {
        if ((event.data as { k: string }).k === 'B') startedB = Date.now();
        else {
          await sleep(5);
          doneA++;
        }
      },
    );
    const rt = await make({ namespace, functions: [fn] });
    await rt.send(Array.from({ length: 300 }, () => ({ name: 'job/f', data: { k: 'A' } })));
    await until(async () => (await rt.listRuns({ status: 'waiting', limit: 1_000 })).length > 100, 10_000, 'a backlog of A');
    const sentB = Date.now();
    await rt.send({ name: 'job/f', data: { k: 'B' } });
    await until(() => startedB > 0, 5_000, 'B to start');
    expect(doneA).toBeLessThan(250);
    expect(startedB - sentB).toBeLessThan(2_000);
  });
}
