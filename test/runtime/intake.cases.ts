/**
 * Gates at event intake end to end, on every transport: rate limits and
 * idempotency keys skip runs (with the reason), debounce keeps the last
 * event of a quiet spell, batches hold every event exactly once, and
 * delayed sends wait for their time.
 */
import { expect, it } from 'vitest';
import { defineFunction, type RunStateChange } from '../../index.js';
import type { SuiteContext } from './suite-context.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

type Data = { user?: string; order?: string; n?: number };

export function intakeCases({ ns, make, settled }: SuiteContext): void {
  it('intake: a rate limit skips the events over it, per key, with the reason', async () => {
    const namespace = ns();
    let ran = 0;
    const fn = defineFunction(
      {
        id: 'limited-mail',
        trigger: { event: 'mail/digest' },
        rateLimit: { limit: 1, period: '1h', key: (e) => (e.data as Data).user as string },
      },
      async () => void ran++,
    );
    const rt = await make({ namespace, functions: [fn] });
    const changes: RunStateChange[] = [];
    rt.on('run', (c) => changes.push(c));
    await rt.send(['u1', 'u1', 'u2', 'u1'].map((user) => ({ name: 'mail/digest', data: { user } })));
    await settled(rt, 4);
    const runs = await rt.listRuns();
    expect(
      runs
        .filter((r) => r.status === 'succeeded')
        .map((r) => (r.event.data as Data).user)
        .sort(),
    ).toEqual(['u1', 'u2']);
    const skipped = runs.filter((r) => r.status === 'skipped');
    expect(skipped).toHaveLength(2);
    expect(skipped[0].skipped).toEqual({ option: 'rateLimit', reason: 'over the rate limit of 1 per 3600000 ms for key "u1"' });
    expect(ran).toBe(2);
    expect(changes.filter((c) => c.to === 'skipped').map((c) => c.from)).toEqual(['pending', 'pending']);
    expect(await rt.listRuns({ status: 'skipped' })).toHaveLength(2);
  });

  it('intake: an idempotency key starts one run per period; the rest are skipped naming the run that holds it', async () => {
    const namespace = ns();
    const fn = defineFunction(
      { id: 'charge', trigger: { event: 'order/placed' }, idempotency: { key: (e) => (e.data as Data).order as string, period: '1h' } },
      async () => 'charged',
    );
    const rt = await make({ namespace, functions: [fn] });
    const { ids } = await rt.send({ name: 'order/placed', data: { order: 'o1' } });
    await settled(rt, 1);
    await rt.send([
      { name: 'order/placed', data: { order: 'o1' } },
      { name: 'order/placed', data: { order: 'o2' } },
      { name: 'order/placed', data: { order: 'o1' } },
    ]);
    await settled(rt, 4);
    const runs = await rt.listRuns();
    const first = runs.find((r) => r.eventId === ids[0]);
    expect(first?.status).toBe('succeeded');
    const skipped = runs.filter((r) => r.status === 'skipped');
    expect(skipped).toHaveLength(2);
    for (const s of skipped)
      expect(s.skipped).toEqual({ option: 'idempotency', reason: `idempotency key "o1" is held by run ${first?.id}`, heldBy: first?.id });
    expect(
      runs
        .filter((r) => r.status === 'succeeded')
        .map((r) => (r.event.data as Data).order)
        .sort(),
    ).toEqual(['o1', 'o2']);
  });

  it('intake: debounce runs once per key with the last event of a quiet spell', async () => {
    const namespace = ns();
    const seen: Data[] = [];
    const fn = defineFunction(
      { id: 'reindex', trigger: { event: 'doc/edited' }, debounce: { period: '400ms', key: (e) => (e.data as Data).user as string } },
      async ({ event }) => void seen.push(event.data as Data),
    );
    const rt = await make({ namespace, functions: [fn] });
    for (let n = 1; n <= 5; n++) {
      await rt.send({ name: 'doc/edited', data: { user: 'a', n } });
      await sleep(50);
    }
    await rt.send({ name: 'doc/edited', data: { user: 'b', n: 1 } });
    await until(() => seen.length === 2, 10_000, 'two debounced runs');
    await sleep(600);
    expect(seen.sort((x, y) => String(x.user).localeCompare(String(y.user)))).toEqual([
      { user: 'a', n: 5 },
      { user: 'b', n: 1 },
    ]);
    expect((await rt.listRuns()).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('intake: debounce with a timeout still runs under a steady stream', async () => {
    const namespace = ns();
    const seen: number[] = [];
    const fn = defineFunction(
      { id: 'steady', trigger: { event: 'doc/typed' }, debounce: { period: '400ms', timeout: '1s' } },
      async ({ event }) => void seen.push((event.data as Data).n as number),
    );
    const rt = await make({ namespace, functions: [fn] });
    const end = Date.now() + 2_600;
    for (let n = 1; Date.now() < end; n++) {
      await rt.send({ name: 'doc/typed', data: { n } });
      await sleep(100);
    }
    await until(() => seen.length >= 3, 10_000, 'the steady stream to run at each timeout and at the end');
    expect(seen.length).toBeLessThanOrEqual(4);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('intake: batches hold every event exactly once, none larger than maxSize', async () => {
    const namespace = ns();
    const batches: number[][] = [];
    const fn = defineFunction(
      { id: 'bulk-insert', trigger: { event: 'row/added' }, batchEvents: { maxSize: 5, timeout: '500ms' } },
      async ({ events, event }) => {
        expect(event).toEqual(events[0]);
        batches.push(events.map((e) => (e.data as Data).n as number));
      },
    );
    const rt = await make({ namespace, functions: [fn] });
    await rt.send(Array.from({ length: 12 }, (_, n) => ({ name: 'row/added', data: { n } })));
    await until(() => batches.flat().length >= 12, 10_000, 'every event to run in a batch');
    await sleep(700);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, n) => n));
    for (const b of batches) expect(b.length).toBeLessThanOrEqual(5);
    expect(batches.length).toBeGreaterThanOrEqual(3);
    const runs = await rt.listRuns();
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect(runs.map((r) => r.events?.length).sort()).toEqual(batches.map((b) => b.length).sort());
  });

  it('intake: a delayed send and a future ts run no earlier than their time', async () => {
    const namespace = ns();
    const started = new Map<string, number>();
    const fn = defineFunction({ id: 'remind', trigger: { event: 'reminder/due' } }, async ({ event }) => {
      started.set(event.id, Date.now());
    });
    const rt = await make({ namespace, functions: [fn] });
    const t0 = Date.now();
    const { ids: later } = await rt.send({ name: 'reminder/due', data: {} }, { delay: '700ms' });
    const { ids: dated } = await rt.send({ name: 'reminder/due', data: {}, ts: t0 + 900 });
    const { ids: now } = await rt.send({ name: 'reminder/due', data: {} });
    // Where the transport keeps a delayed event in its history before it is due (memory, NATS), it shows as scheduled.
    for (const e of await rt.listEvents()) if (e.id !== now[0]) expect(e.scheduled).toBe(true);
    await until(() => started.size === 3, 10_000, 'all three runs');
    expect((started.get(now[0]) as number) - t0).toBeLessThan(600);
    expect(started.get(later[0])).toBeGreaterThanOrEqual(t0 + 700);
    expect(started.get(dated[0])).toBeGreaterThanOrEqual(t0 + 900);
    expect((await rt.getRun((await rt.listRuns()).find((r) => r.eventId === later[0])?.id as string))?.event.ts).toBeGreaterThanOrEqual(
      t0 + 700,
    );
  });
}
