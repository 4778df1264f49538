/** `GET /runs?q&from&to` and `GET /stats` through the handler, without a server, on a memory runtime. */
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineFunction, NonRetriableError, silentLogger, type Clock, type Runtime } from '../../index.js';
import { createHttpHandler, type HttpHandler, type HttpResponse } from '../../adapters/http/index.js';
import { until } from '../conformance/transport.suite.js';

let lag = 0;
const clock: Clock = {
  now: () => Date.now() - lag,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
};
const functions = [
  defineFunction(
    { id: 'import-row', trigger: { event: 'row/imported' }, retries: 1, backoff: { type: 'fixed', delay: 10, jitter: false } },
    async ({ event, attempt }) => {
      const { bad } = event.data as { bad?: boolean };
      if (bad) throw attempt === 1 ? new Error('first try: locked') : new NonRetriableError('second try: malformed row');
      return 'ok';
    },
  ),
  defineFunction({ id: 'notify', trigger: { event: 'row/notify' } }, async () => 'sent'),
];

let n = 0;
const open: { runtime: Runtime; handler: HttpHandler }[] = [];
afterEach(async () => {
  lag = 0;
  for (const o of open.splice(0)) {
    o.handler.close();
    await o.runtime.stop();
  }
});
async function start() {
  const runtime = createRuntime({
    logger: silentLogger,
    transport: 'memory://',
    namespace: `run_query_${process.pid}_${n++}`,
    functions,
    clock,
  });
  await runtime.start();
  const handler = createHttpHandler(runtime, { dev: true });
  open.push({ runtime, handler });
  const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const r = (await handler.handle({
      method: 'GET',
      url: `/eventide${path}`,
      headers: { host: '127.0.0.1' },
      remoteAddress: '127.0.0.1',
    })) as HttpResponse;
    return { status: r.status, body: JSON.parse(String(r.body)) as Record<string, unknown> };
  };
  return { runtime, get };
}
type Listed = { runs: { id: string; eventId: string }[] };

describe('run search, time range and stats', () => {
  it('finds runs by run id, event id or text in the event data (any case), and bounds them by creation time', async () => {
    const { runtime, get } = await start();
    lag = 2 * 3_600_000;
    await runtime.send({ name: 'row/imported', data: { sheet: 'Old-Sheet', row: 1 } });
    await until(async () => (await runtime.listRuns({ status: 'succeeded' })).length === 1, 5_000, 'the old run');
    lag = 0;
    const { ids } = await runtime.send([
      { name: 'row/imported', data: { sheet: 'Leads', row: 7 } },
      { name: 'row/imported', data: { sheet: 'Leads', row: 8 } },
    ]);
    await until(async () => (await runtime.listRuns({ status: 'succeeded' })).length === 3, 5_000, 'three runs');
    const [run7] = await runtime.listRuns({ eventId: ids[0] });

    const ids7 = (b: Record<string, unknown>) => (b as Listed).runs.map((r) => r.id);
    expect(ids7((await get(`/runs?q=${run7.id}`)).body)).toEqual([run7.id]);
    expect(ids7((await get(`/runs?q=${run7.id.slice(0, 14)}`)).body)).toContain(run7.id);
    expect(ids7((await get(`/runs?q=${ids[0]}`)).body)).toEqual([run7.id]);
    expect(ids7((await get(`/runs?q=${encodeURIComponent('"row":7')}`)).body)).toEqual([run7.id]);
    expect((await get('/runs?q=leads')).body.runs).toHaveLength(2);
    expect((await get('/runs?q=old-sheet')).body.runs).toHaveLength(1);
    expect((await get('/runs?q=nothing-like-this')).body.runs).toHaveLength(0);

    const hourAgo = Date.now() - 3_600_000;
    expect((await get(`/runs?from=${hourAgo}`)).body.runs).toHaveLength(2);
    expect((await get(`/runs?to=${hourAgo}`)).body.runs).toHaveLength(1);
    expect((await get(`/runs?from=${new Date(hourAgo).toISOString()}&q=old`)).body.runs).toHaveLength(0);
    // With a page size: the cursor walks the filtered list.
    const first = await get(`/runs?q=leads&limit=1`);
    expect(first.body.runs).toHaveLength(1);
    const second = await get(`/runs?q=leads&limit=1&cursor=${String(first.body.nextCursor)}`);
    expect(second.body.runs).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
  });

  it('refuses a malformed search or range with 400 and says what it takes', async () => {
    const { get } = await start();
    for (const [query, says] of [
      ['from=yesterday', /from must be epoch milliseconds or an ISO 8601 time/],
      ['to=-5', /to must be/],
      ['from=2000&to=1000', /from must not be after to/],
      [`q=${'x'.repeat(201)}`, /q must be at most 200 characters/],
    ] as const) {
      const r = await get(`/runs?${query}`);
      expect(r.status, query).toBe(400);
      expect((r.body.error as { message: string }).message).toMatch(says);
    }
    expect((await get('/stats?from=soon')).status).toBe(400);
  });

  it('counts runs by status, what waits, and runs ended per bucket; every failed attempt is in the run', async () => {
    const { runtime, get } = await start();
    lag = 30 * 60_000;
    await runtime.send({ name: 'row/imported', data: { bad: true } });
    await until(async () => (await runtime.listRuns({ status: 'failed' })).length === 1, 5_000, 'failed');
    lag = 0;
    await runtime.send([1, 2, 3].map((row) => ({ name: 'row/imported', data: { row } })));
    await runtime.send({ name: 'row/notify', data: {} }, { delay: '1h' });
    await until(async () => (await runtime.listRuns({ status: 'succeeded' })).length === 3, 5_000, 'succeeded');

    const [failed] = await runtime.listRuns({ status: 'failed' });
    expect(failed.attemptErrors?.map((a) => [a.attempt, a.name, a.message])).toEqual([
      [1, 'Error', 'first try: locked'],
      [2, 'NonRetriableError', 'second try: malformed row'],
    ]);
    const detail = (await get(`/runs/${failed.id}`)).body.run as { attemptErrors: unknown[] };
    expect(detail.attemptErrors).toHaveLength(2);

    const stats = (await get('/stats')).body as {
      bucketMs: number;
      functions: { id: string; counts: Record<string, number>; delayed: number; waiting: number; succeeded: number[]; failed: number[] }[];
    };
    const imp = stats.functions.find((f) => f.id === 'import-row');
    const notify = stats.functions.find((f) => f.id === 'notify');
    expect(imp?.counts).toEqual({ succeeded: 3, failed: 1 });
    expect(imp?.waiting).toBe(0);
    expect(notify?.delayed).toBe(1);
    expect(notify?.counts).toEqual({});
    expect(stats.bucketMs).toBe(150_000);
    // The failure half an hour ago in a middle bucket, the successes in the last.
    expect(imp?.failed.reduce((a, b) => a + b)).toBe(1);
    expect(imp?.failed.slice(10, 14).reduce((a, b) => a + b)).toBe(1);
    expect(imp?.succeeded.at(-1)).toBe(3);
    // A range that ends before the successes counts only the failure.
    const early = (await get(`/stats?to=${Date.now() - 10 * 60_000}`)).body as typeof stats;
    expect(early.functions.find((f) => f.id === 'import-row')?.counts).toEqual({ failed: 1 });
    // What a replay by function would start, whatever the range.
    const late = (await get(`/stats?from=${Date.now() - 60_000}`)).body as typeof stats & { functions: { replayable: number }[] };
    expect(late.functions.find((f) => f.id === 'import-row')).toMatchObject({ counts: { succeeded: 3 }, replayable: 1 });
  });
});
