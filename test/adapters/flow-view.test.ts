/** What the HTTP API shows of flow control: each function's limits and how many runs wait, and what a waiting run waits for. */
import { afterEach, expect, it } from 'vitest';
import { createRuntime, defineFunction, silentLogger, type Runtime } from '../../index.js';
import { createHttpHandler, type HttpHandler, type HttpResponse } from '../../adapters/http/index.js';
import { until } from '../conformance/transport.suite.js';

const open: { runtime: Runtime; handler: HttpHandler }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    o.handler.close();
    await o.runtime.stop({ timeoutMs: 200 });
  }
});
const json = (r: HttpResponse | undefined) => JSON.parse(String(r?.body)) as Record<string, unknown>;

it('lists limits and waiting runs per function, and what a waiting run waits for', async () => {
  let release!: () => void;
  const blocker = new Promise<void>((r) => (release = r));
  const limited = defineFunction(
    {
      id: 'crm-sync',
      trigger: { event: 'crm/sync' },
      concurrency: { limit: 1, key: (e) => (e.data as { account: string }).account },
      throttle: { limit: 100, period: '1m', burst: 10 },
    },
    async () => blocker,
  );
  const plain = defineFunction({ id: 'plain', trigger: { event: 'crm/sync' } }, async () => undefined);
  const runtime = createRuntime({
    logger: silentLogger,
    transport: 'memory://',
    namespace: `flow_view_${process.pid}`,
    functions: [limited, plain],
  });
  await runtime.start();
  const handler = createHttpHandler(runtime, { dev: true });
  open.push({ runtime, handler });
  const get = (path: string) =>
    handler.handle({ method: 'GET', url: `/eventide${path}`, headers: { host: '127.0.0.1' }, remoteAddress: '127.0.0.1' });

  await runtime.send([
    { name: 'crm/sync', data: { account: 'acct_1' } },
    { name: 'crm/sync', data: { account: 'acct_1' } },
  ]);
  await until(async () => (await runtime.listRuns({ status: 'waiting' })).length === 1, 5_000, 'a run to wait');
  const fns = json(await get('/functions')).functions as Record<string, unknown>[];
  expect(fns).toEqual([
    {
      id: 'crm-sync',
      trigger: 'crm/sync',
      retries: 3,
      limits: {
        concurrency: [{ option: 'concurrency', limit: 1, perKey: true }],
        throttle: { limit: 100, periodMs: 60_000, burst: 10, perKey: false },
      },
      waiting: 1,
    },
    { id: 'plain', trigger: 'crm/sync', retries: 3 },
  ]);
  const waiting = (await runtime.listRuns({ status: 'waiting' }))[0];
  const run = json(await get(`/runs/${waiting.id}`)).run as Record<string, unknown>;
  expect(run.status).toBe('waiting');
  expect(run.waitingFor).toEqual({ limit: 'concurrency', option: 'concurrency', key: 'acct_1', since: expect.any(Number) });
  const listed = json(await get('/runs?status=waiting')).runs as { id: string }[];
  expect(listed.map((r) => r.id)).toEqual([waiting.id]);
  release();
  await until(async () => (await runtime.listRuns({ status: 'succeeded' })).length === 4, 5_000, 'every run to succeed');
});
