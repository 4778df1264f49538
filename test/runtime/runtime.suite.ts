/**
 * Runtime behaviour, run unchanged on every transport: each transport's
 * test file calls `runtimeSuite({ name, transport })` in a few lines.
 * Real time, short delays: these must hold on NATS and Redis too.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  defineFunction,
  EventValidationError,
  NonRetriableError,
  RetryAfterError,
  RuntimeStoppedError,
  silentLogger,
  type RunRecord,
  type RunStateChange,
  type Runtime,
  type RuntimeOptions,
  type StandardSchemaV1,
  type TransportOption,
} from '../../index.js';
import { encode } from '../../core/codec/msgpack.js';
import { until } from '../conformance/transport.suite.js';
import { cronCases } from './cron.cases.js';
import { durableCases } from './durable.cases.js';
import { flowCases } from './flow.cases.js';
import { intakeCases } from './intake.cases.js';
import { invokeCases } from './invoke.cases.js';
import { listRunsCases } from './list-runs.cases.js';
import { valueCases } from './values.cases.js';
import { watchCases } from './watch.cases.js';

export interface RuntimeSuiteOptions {
  name: string;
  /** The transport option for a runtime on `namespace`; called once per runtime. */
  transport: (namespace: string) => TransportOption;
  /** Publishes raw bytes on the namespace's events subject, bypassing `send`. */
  publishRaw?: (namespace: string, bytes: Uint8Array) => Promise<void>;
  cleanup?: (namespace: string) => Promise<void>;
}

const fast = { type: 'fixed', delay: 20, jitter: false } as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let counter = 0;

export function runtimeSuite({ name, transport, publishRaw, cleanup }: RuntimeSuiteOptions): void {
  describe(`runtime on ${name}`, () => {
    const runtimes: Runtime[] = [];
    const namespaces = new Set<string>();

    const ns = () => {
      const n = `rt_${process.pid}_${Date.now().toString(36)}_${counter++}`;
      namespaces.add(n);
      return n;
    };
    const make = async (options: RuntimeOptions & { namespace: string }) => {
      const rt = createRuntime({ logger: silentLogger, ackWaitMs: 5_000, transport: transport(options.namespace), ...options });
      runtimes.push(rt);
      await rt.start();
      return rt;
    };
    const settled = (rt: Runtime, count: number, query: { functionId?: string } = {}) =>
      until(
        async () =>
          (await rt.listRuns(query)).filter((r) => ['succeeded', 'failed', 'cancelled', 'skipped'].includes(r.status)).length >= count,
        20_000,
        `${count} runs to end`,
      );

    valueCases({ ns, make, settled });
    flowCases({ ns, make, settled });
    intakeCases({ ns, make, settled });
    invokeCases({ ns, make, settled });
    durableCases({ ns, make, settled });
    cronCases({ ns, make, settled });
    listRunsCases({ ns, make, settled });
    watchCases({ ns, make, settled });

    afterEach(async () => {
      for (const rt of runtimes.splice(0)) await rt.stop({ timeoutMs: 1_000 });
      if (cleanup) for (const n of namespaces) await cleanup(n);
      namespaces.clear();
    });

    it('fans one event out to three functions; one fails twice, then succeeds, the others succeed once', async () => {
      const namespace = ns();
      const calls = { trial: 0, email: 0, newsletter: 0 };
      const trial = defineFunction({ id: 'start-trial', trigger: { event: 'user/created' }, backoff: fast }, async ({ step }) => {
        await step.run('start', () => ++calls.trial);
      });
      const email = defineFunction({ id: 'send-welcome-email', trigger: { event: 'user/created' }, backoff: fast }, async ({ step }) => {
        const n = await step.run('send', () => {
          calls.email++;
          if (calls.email <= 2) throw new Error(`mailer down (${calls.email})`);
          return calls.email;
        });
        return { sentOn: n };
      });
      const newsletter = defineFunction({ id: 'add-to-newsletter', trigger: { event: 'user/created' }, backoff: fast }, async () => {
        calls.newsletter++;
      });
      const rt = await make({ namespace, functions: [trial, email, newsletter] });
      const changes: RunStateChange[] = [];
      rt.on('run', (c) => changes.push(c));
      const { ids } = await rt.send({ name: 'user/created', data: { userId: 'u1' } });
      expect(ids).toHaveLength(1);
      await settled(rt, 3);
      expect(calls).toEqual({ trial: 1, email: 3, newsletter: 1 });
      const runs = await rt.listRuns({ eventId: ids[0] });
      expect(runs.map((r) => [r.functionId, r.status]).sort()).toEqual([
        ['add-to-newsletter', 'succeeded'],
        ['send-welcome-email', 'succeeded'],
        ['start-trial', 'succeeded'],
      ]);
      const emailRun = runs.find((r) => r.functionId === 'send-welcome-email') as RunRecord;
      expect(emailRun.attempt).toBe(3);
      expect(emailRun.output).toEqual({ sentOn: 3 });
      expect(emailRun.steps.send.attempts).toBe(3);
      const path = changes.filter((c) => c.runId === emailRun.id).map((c) => `${c.from}>${c.to}`);
      expect(path).toEqual([
        'pending>running',
        'running>retrying',
        'retrying>running',
        'running>retrying',
        'retrying>running',
        'running>succeeded',
      ]);
      const retrying = changes.find((c) => c.runId === emailRun.id && c.to === 'retrying');
      expect(retrying?.error?.message).toBe('mailer down (1)');
    });

    it('does not run a step again that succeeded when a later step fails', async () => {
      const namespace = ns();
      let charged = 0;
      let shipped = 0;
      const fn = defineFunction({ id: 'order', trigger: { event: 'order/paid' }, backoff: fast }, async ({ step }) => {
        const receipt = await step.run('charge', () => ({ receipt: `r${++charged}` }));
        await step.run('ship', () => {
          if (++shipped < 3) throw new Error('carrier busy');
        });
        return receipt;
      });
      const rt = await make({ namespace, functions: [fn] });
      await rt.send({ name: 'order/paid', data: {} });
      await settled(rt, 1);
      const [run] = await rt.listRuns();
      expect(run.status).toBe('succeeded');
      expect(charged).toBe(1);
      expect(shipped).toBe(3);
      expect(run.output).toEqual({ receipt: 'r1' });
      expect(run.steps.charge.attempts).toBe(1);
      expect(typeof run.steps.charge.startedAt).toBe('number');
    });

    it('fails at once on NonRetriableError, keeping the error', async () => {
      const namespace = ns();
      let calls = 0;
      const fn = defineFunction({ id: 'strict', trigger: { event: 'x/y' }, retries: 5, backoff: fast }, async () => {
        calls++;
        throw new NonRetriableError('bad input, retrying will not help');
      });
      const rt = await make({ namespace, functions: [fn] });
      const changes: string[] = [];
      rt.on('run', (c) => changes.push(`${c.from}>${c.to}`));
      await rt.send({ name: 'x/y', data: {} });
      await settled(rt, 1);
      const [run] = await rt.listRuns();
      expect(calls).toBe(1);
      expect(run.status).toBe('failed');
      expect(run.attempt).toBe(1);
      expect(run.error).toMatchObject({ name: 'NonRetriableError', message: 'bad input, retrying will not help' });
      expect(run.error?.stack).toContain('NonRetriableError');
      expect(typeof run.endedAt).toBe('number');
      expect(changes).toEqual(['pending>running', 'running>failed']);
    });

    it('fails after the retries are spent', async () => {
      const namespace = ns();
      let calls = 0;
      const fn = defineFunction({ id: 'flaky', trigger: { event: 'x/y' }, retries: 2, backoff: fast }, async () => {
        calls++;
        throw new Error(`nope ${calls}`);
      });
      const rt = await make({ namespace, functions: [fn] });
      await rt.send({ name: 'x/y', data: {} });
      await settled(rt, 1);
      const [run] = await rt.listRuns();
      expect(calls).toBe(3);
      expect(run.status).toBe('failed');
      expect(run.attempt).toBe(3);
      expect(run.error?.message).toBe('nope 3');
    });

    it('waits the delay a RetryAfterError asks for', async () => {
      const namespace = ns();
      const at: number[] = [];
      const fn = defineFunction({ id: 'rate-limited', trigger: { event: 'x/y' }, backoff: fast }, async () => {
        at.push(Date.now());
        if (at.length === 1) throw new RetryAfterError('429 from the API', 400);
        return 'ok';
      });
      const rt = await make({ namespace, functions: [fn] });
      await rt.send({ name: 'x/y', data: {} });
      await settled(rt, 1);
      expect(at).toHaveLength(2);
      expect(at[1] - at[0]).toBeGreaterThanOrEqual(380);
      const [run] = await rt.listRuns();
      expect(run.status).toBe('succeeded');
    });

    it('aborts an attempt past timeoutMs, fires its signal and counts it as failed', async () => {
      const namespace = ns();
      let aborted = 0;
      let calls = 0;
      const fn = defineFunction(
        { id: 'slow', trigger: { event: 'x/y' }, retries: 1, timeoutMs: 100, backoff: fast },
        async ({ signal }) => {
          calls++;
          signal.addEventListener('abort', () => aborted++);
          await sleep(2_000);
        },
      );
      const rt = await make({ namespace, functions: [fn] });
      await rt.send({ name: 'x/y', data: {} });
      await settled(rt, 1);
      const [run] = await rt.listRuns();
      expect(run.status).toBe('failed');
      expect(calls).toBe(2);
      expect(aborted).toBe(2);
      expect(run.error?.name).toBe('TimeoutError');
    });

    it('replays failed runs with the fixed code and returns the new run ids', async () => {
      const namespace = ns();
      let broken = true;
      const fn = defineFunction({ id: 'import', trigger: { event: 'file/uploaded' }, retries: 0 }, async ({ event, step }) => {
        const rows = await step.run('parse', () => {
          if (broken) throw new Error('parser bug');
          return (event.data as { rows: number }).rows;
        });
        return { rows };
      });
      const rt = await make({ namespace, functions: [fn] });
      await rt.send([1, 2, 3].map((rows) => ({ name: 'file/uploaded', data: { rows } })));
      await settled(rt, 3);
      const failed = await rt.listRuns({ functionId: 'import', status: 'failed' });
      expect(failed).toHaveLength(3);
      broken = false;
      const ids = await rt.replay({ functionId: 'import', status: 'failed' });
      expect(ids).toHaveLength(3);
      await until(
        async () => (await Promise.all(ids.map((id) => rt.getRun(id)))).every((r) => r?.status === 'succeeded'),
        20_000,
        'replays',
      );
      const replays = await Promise.all(ids.map((id) => rt.getRun(id)));
      expect(replays.map((r) => (r?.output as { rows: number }).rows).sort()).toEqual([1, 2, 3]);
      expect(new Set(replays.map((r) => r?.replayOf))).toEqual(new Set(failed.map((r) => r.id)));
      // the originals stay as they were: failed, with their error
      expect((await rt.listRuns({ functionId: 'import', status: 'failed' })).map((r) => r.id).sort()).toEqual(
        failed.map((r) => r.id).sort(),
      );
      const again = await rt.replay({ runIds: [failed[0].id] });
      expect(again).toHaveLength(1);
      expect(again[0]).not.toBe(ids[0]);
    });

    it('deduplicates by event id: the same id sent twice creates runs once', async () => {
      const namespace = ns();
      let calls = 0;
      const fn = defineFunction({ id: 'once', trigger: { event: 'pay/requested' } }, async () => {
        calls++;
      });
      const rt = await make({ namespace, functions: [fn] });
      const a = await rt.send({ name: 'pay/requested', data: { n: 1 }, id: 'payment-42' });
      const b = await rt.send({ name: 'pay/requested', data: { n: 1 }, id: 'payment-42' });
      expect(a.ids).toEqual(['payment-42']);
      expect(b.ids).toEqual(['payment-42']);
      await settled(rt, 1);
      await sleep(300);
      expect(calls).toBe(1);
      expect(await rt.listRuns()).toHaveLength(1);
    });

    it('rejects bad events with typed errors and enqueues nothing', async () => {
      const namespace = ns();
      const schema: StandardSchemaV1<unknown, { userId: string }> = {
        '~standard': {
          version: 1,
          vendor: 'test',
          validate: (v) =>
            v && typeof v === 'object' && typeof (v as { userId?: unknown }).userId === 'string'
              ? { value: v as { userId: string } }
              : { issues: [{ message: 'userId must be a string', path: ['userId'] }] },
        },
      };
      let calls = 0;
      const fn = defineFunction({ id: 'typed', trigger: { event: 'user/created' } }, async () => void calls++);
      const rt = await make({ namespace, functions: [fn], schemas: { 'user/created': schema }, maxEventBytes: 1024 });
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const cases: [unknown, string][] = [
        [{ data: {} }, 'INVALID_NAME'],
        [{ name: '', data: {} }, 'INVALID_NAME'],
        [{ name: 'user/created', data: { userId: 7 } }, 'SCHEMA'],
        [{ name: 'other', data: { f: () => 1 } }, 'NOT_SERIALISABLE'],
        [{ name: 'other', data: { s: Symbol('x') } }, 'NOT_SERIALISABLE'],
        [{ name: 'other', data: cyclic }, 'NOT_SERIALISABLE'],
        [{ name: 'other', data: { big: 'x'.repeat(2048) } }, 'TOO_LARGE'],
      ];
      for (const [event, code] of cases) {
        const err = await rt.send(event as never).catch((e) => e);
        expect(err, JSON.stringify(code)).toBeInstanceOf(EventValidationError);
        expect(err.code).toBe(code);
      }
      // a batch with one bad event enqueues none of it
      const batch = await rt
        .send([
          { name: 'user/created', data: { userId: 'ok' } },
          { name: 'user/created', data: {} },
        ])
        .catch((e) => e);
      expect(batch).toBeInstanceOf(EventValidationError);
      expect(batch.message).toContain('userId must be a string');
      await sleep(200);
      expect(await rt.listEvents()).toHaveLength(0);
      expect(calls).toBe(0);
      await rt.send({ name: 'user/created', data: { userId: 'u1' } });
      await settled(rt, 1);
      expect(calls).toBe(1);
    });

    it('stop() lets in-flight runs finish and then refuses send', async () => {
      const namespace = ns();
      let finished = 0;
      let started = 0;
      const fn = defineFunction({ id: 'busy', trigger: { event: 'x/y' } }, async ({ step }) => {
        started++;
        await step.run('work', () => sleep(300));
        finished++;
      });
      const rt = await make({ namespace, functions: [fn] });
      await rt.send([1, 2, 3].map((n) => ({ name: 'x/y', data: { n } })));
      await until(() => started === 3, 10_000, 'three started');
      await rt.stop({ timeoutMs: 5_000 });
      expect(finished).toBe(3);
      await expect(rt.send({ name: 'x/y', data: {} })).rejects.toBeInstanceOf(RuntimeStoppedError);
      const check = await make({ namespace, functions: [], worker: false });
      expect((await check.listRuns()).map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    });

    it('stop() past its timeout hands unfinished runs back; another worker completes them', async () => {
      const namespace = ns();
      let stepRuns = 0;
      const slowFirst = defineFunction({ id: 'handoff', trigger: { event: 'x/y' } }, async ({ step }) => {
        await step.run('done-before-stop', () => ++stepRuns);
        await step.run('slow', () => sleep(stepRuns === 1 ? 1_500 : 10));
        return 'ok';
      });
      const first = await make({ namespace, functions: [slowFirst] });
      await first.send({ name: 'x/y', data: {} });
      await until(() => stepRuns === 1, 10_000, 'first step');
      await sleep(50);
      await first.stop({ timeoutMs: 100 });
      const second = await make({ namespace, functions: [slowFirst] });
      await settled(second, 1);
      const [run] = await second.listRuns();
      expect(run.status).toBe('succeeded');
      expect(stepRuns).toBe(1);
    });

    it('tells listeners every change in order per run, and a throwing listener breaks nothing', async () => {
      const namespace = ns();
      const fn = defineFunction({ id: 'ordered', trigger: { event: 'x/y' }, backoff: fast }, async ({ attempt }) => {
        if (attempt === 1) throw new Error('first try fails');
      });
      const rt = await make({ namespace, functions: [fn] });
      rt.on('run', () => {
        throw new Error('listener bug');
      });
      const seen: RunStateChange[] = [];
      const off = rt.on('run', (c) => seen.push(c));
      await rt.send([1, 2, 3, 4].map((n) => ({ name: 'x/y', data: { n } })));
      await settled(rt, 4);
      await until(() => seen.length === 16, 5_000, 'all changes');
      const byRun = new Map<string, RunStateChange[]>();
      for (const c of seen) byRun.set(c.runId, [...(byRun.get(c.runId) ?? []), c]);
      expect(byRun.size).toBe(4);
      for (const changes of byRun.values()) {
        expect(changes.map((c) => c.to)).toEqual(['running', 'retrying', 'running', 'succeeded']);
        for (let i = 1; i < changes.length; i++) {
          expect(changes[i].from).toBe(changes[i - 1].to);
          expect(changes[i].at).toBeGreaterThanOrEqual(changes[i - 1].at);
        }
        expect(changes.map((c) => c.attempt)).toEqual([1, 1, 2, 2]);
      }
      off();
      await rt.send({ name: 'x/y', data: { n: 5 } });
      await settled(rt, 5);
      expect(seen).toHaveLength(16);
    });

    it('matches wildcard triggers and filters', async () => {
      const namespace = ns();
      const got: string[] = [];
      const all = defineFunction({ id: 'all-user', trigger: { event: 'user/*' } }, async ({ event }) => void got.push(`all:${event.name}`));
      const vip = defineFunction(
        { id: 'vip', trigger: { event: 'user/created', if: (e) => (e.data as { plan?: string }).plan === 'pro' } },
        async ({ event }) => void got.push(`vip:${(event.data as { id: string }).id}`),
      );
      const rt = await make({ namespace, functions: [all, vip] });
      await rt.send([
        { name: 'user/created', data: { id: 'a', plan: 'free' } },
        { name: 'user/created', data: { id: 'b', plan: 'pro' } },
        { name: 'user/deleted', data: { id: 'c' } },
        { name: 'order/created', data: { id: 'd' } },
      ]);
      await settled(rt, 4);
      await sleep(200);
      expect(got.sort()).toEqual(['all:user/created', 'all:user/created', 'all:user/deleted', 'vip:b']);
    });

    it('gives repeated step ids a stable suffix, as loops need', async () => {
      const namespace = ns();
      const ran: number[] = [];
      const fn = defineFunction({ id: 'loop', trigger: { event: 'x/y' }, backoff: fast }, async ({ step, attempt }) => {
        for (let i = 0; i < 3; i++) await step.run('item', () => (ran.push(i), i * 10));
        if (attempt === 1) throw new Error('after the loop');
        return 'done';
      });
      const rt = await make({ namespace, functions: [fn] });
      await rt.send({ name: 'x/y', data: {} });
      await settled(rt, 1);
      const [run] = await rt.listRuns();
      expect(Object.keys(run.steps).sort()).toEqual(['item', 'item:1', 'item:2']);
      expect(run.steps['item:2'].output).toBe(20);
      expect(ran).toEqual([0, 1, 2]);
    });

    it('caps the runs executing at once in a process across all its functions', async () => {
      const namespace = ns();
      let active = 0;
      let peak = 0;
      const busy = (id: string) =>
        defineFunction({ id, trigger: { event: 'x/y' } }, async ({ step }) => {
          await step.run('work', async () => {
            active++;
            peak = Math.max(peak, active);
            await sleep(60);
            active--;
          });
        });
      const rt = await make({ namespace, functions: [busy('a'), busy('b'), busy('c')], concurrency: 2 });
      await rt.send([1, 2, 3].map((n) => ({ name: 'x/y', data: { n } })));
      await settled(rt, 9);
      expect(peak).toBe(2);
    });

    it('sleeps without holding a worker slot', async () => {
      const namespace = ns();
      const order: string[] = [];
      const fn = defineFunction({ id: 'sleeper', trigger: { event: 'x/y' } }, async ({ event, step }) => {
        const { n } = event.data as { n: number };
        await step.run('before', () => order.push(`before:${n}`));
        if (n === 1) await step.sleep('nap', '600ms');
        await step.run('after', () => order.push(`after:${n}`));
      });
      const rt = await make({ namespace, functions: [fn], concurrency: 1 });
      const changes: string[] = [];
      rt.on('run', (c) => changes.push(`${c.to}`));
      await rt.send({ name: 'x/y', data: { n: 1 } });
      await until(() => changes.includes('sleeping'), 10_000, 'sleeping');
      const sleepingRun = (await rt.listRuns())[0];
      expect(sleepingRun.status).toBe('sleeping');
      expect(sleepingRun.steps.nap.wakeAt).toBeGreaterThan(Date.now());
      await rt.send({ name: 'x/y', data: { n: 2 } });
      await settled(rt, 2);
      expect(order).toEqual(['before:1', 'before:2', 'after:2', 'after:1']);
      const runs = await rt.listRuns();
      const one = runs.find((r) => (r.event.data as { n: number }).n === 1) as RunRecord;
      expect(one.steps.nap.status).toBe('succeeded');
      expect(one.attempt).toBe(1);
    });

    it('sends events from a step once, even when the attempt is retried', async () => {
      const namespace = ns();
      let followUps = 0;
      const parent = defineFunction({ id: 'parent', trigger: { event: 'a/start' }, backoff: fast }, async ({ step, attempt }) => {
        const { ids } = await step.sendEvent('fan', [
          { name: 'a/child', data: { k: 1 } },
          { name: 'a/child', data: { k: 2 } },
        ]);
        if (attempt < 3) throw new Error('fails after sending');
        return ids;
      });
      const child = defineFunction({ id: 'child', trigger: { event: 'a/child' } }, async () => void followUps++);
      const rt = await make({ namespace, functions: [parent, child] });
      await rt.send({ name: 'a/start', data: {} });
      await settled(rt, 3);
      await sleep(300);
      expect(followUps).toBe(2);
      const [p] = await rt.listRuns({ functionId: 'parent' });
      expect(p.attempt).toBe(3);
      expect(p.output).toHaveLength(2);
    });

    it('lets a step carry its own retry policy', async () => {
      const namespace = ns();
      let tries = 0;
      const fn = defineFunction({ id: 'stepwise', trigger: { event: 'x/y' }, retries: 0 }, async ({ step }) => {
        try {
          await step.run({ id: 'fragile', retries: 4, backoff: { type: 'fixed', delay: 10, jitter: false } }, () => {
            tries++;
            throw new Error('always');
          });
        } catch (e) {
          return `gave up: ${(e as Error).name}`;
        }
      });
      const rt = await make({ namespace, functions: [fn] });
      await rt.send({ name: 'x/y', data: {} });
      await settled(rt, 1);
      const [run] = await rt.listRuns();
      expect(tries).toBe(5);
      expect(run.status).toBe('succeeded');
      expect(run.output).toBe('gave up: StepFailedError');
      expect(run.steps.fragile).toMatchObject({ status: 'failed', attempts: 5, error: { message: 'always' } });
    });

    it('cancels a sleeping run and aborts a running one', async () => {
      const namespace = ns();
      let aborted = false;
      const napper = defineFunction({ id: 'napper', trigger: { event: 'nap' } }, async ({ step }) => {
        await step.sleep('long', '1h');
      });
      const worker = defineFunction({ id: 'worker', trigger: { event: 'work' } }, async ({ signal }) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => ((aborted = true), resolve())));
      });
      const rt = await make({ namespace, functions: [napper, worker] });
      await rt.send([
        { name: 'nap', data: {} },
        { name: 'work', data: {} },
      ]);
      await until(
        async () =>
          (await rt.listRuns())
            .map((r) => r.status)
            .sort()
            .join() === 'running,sleeping',
        10_000,
        'one running, one sleeping',
      );
      for (const r of await rt.listRuns()) {
        const cancelled = await rt.cancel(r.id);
        expect(cancelled.status).toBe('cancelled');
      }
      await until(() => aborted, 5_000, 'abort');
      await sleep(200);
      expect((await rt.listRuns()).map((r) => r.status)).toEqual(['cancelled', 'cancelled']);
    });

    it('keeps logs with the run and does not write them twice while steps replay', async () => {
      const namespace = ns();
      const fn = defineFunction({ id: 'chatty', trigger: { event: 'x/y' }, backoff: fast }, async ({ step, logger, attempt }) => {
        logger.info('starting');
        await step.run('one', () => 1);
        logger.info('between', { attempt });
        await step.run('two', () => {
          if (attempt === 1) throw new Error('two fails once');
        });
        logger.warn('done');
      });
      const rt = await make({ namespace, functions: [fn] });
      await rt.send({ name: 'x/y', data: {} });
      await settled(rt, 1);
      const [run] = await rt.listRuns();
      expect(run.logs.map((l) => `${l.level}:${l.message}:${l.attempt}`)).toEqual(['info:starting:1', 'info:between:1', 'warn:done:2']);
    });

    it('lists events, finds runs by id and filters runs', async () => {
      const namespace = ns();
      const ok = defineFunction({ id: 'ok', trigger: { event: 'e/*' } }, async () => 'fine');
      const bad = defineFunction({ id: 'bad', trigger: { event: 'e/two' }, retries: 0 }, async () => {
        throw new Error('no');
      });
      const rt = await make({ namespace, functions: [ok, bad] });
      await rt.send({ name: 'e/one', data: { a: 1 }, id: 'first' });
      await rt.send({ name: 'e/two', data: { b: 2 }, id: 'second' });
      await settled(rt, 3);
      const events = await rt.listEvents();
      expect(events.map((e) => e.id)).toEqual(['second', 'first']);
      expect(events[0]).toMatchObject({ name: 'e/two', data: { b: 2 } });
      expect((await rt.listEvents({ name: 'e/one' })).map((e) => e.id)).toEqual(['first']);
      const failed = await rt.listRuns({ status: 'failed' });
      expect(failed.map((r) => r.functionId)).toEqual(['bad']);
      expect((await rt.listRuns({ eventId: 'second' })).length).toBe(2);
      expect((await rt.listRuns({ functionId: 'ok', limit: 1 })).length).toBe(1);
      const got = await rt.getRun(failed[0].id);
      expect(got).toMatchObject({ functionId: 'bad', eventId: 'second', status: 'failed' });
      expect(await rt.getRun('run_missing')).toBeUndefined();
    });

    it('lets a process that runs no functions watch every change', async () => {
      const namespace = ns();
      const fn = defineFunction({ id: 'remote', trigger: { event: 'x/y' } }, async () => 'ok');
      const watcher = await make({ namespace, worker: false, functions: [] });
      const seen: string[] = [];
      watcher.on('run', (c) => seen.push(`${c.functionId}:${c.from}>${c.to}`));
      await sleep(100);
      const worker = await make({ namespace, functions: [fn] });
      await watcher.send({ name: 'x/y', data: {} });
      await settled(worker, 1);
      await until(() => seen.length === 2, 5_000, 'remote changes');
      expect(seen).toEqual(['remote:pending>running', 'remote:running>succeeded']);
    });

    it('fails a run whose output cannot be stored', async () => {
      const namespace = ns();
      const fn = defineFunction({ id: 'fn-output', trigger: { event: 'x/y' } }, async () => ({ callback: () => 1 }));
      const rt = await make({ namespace, functions: [fn] });
      await rt.send({ name: 'x/y', data: {} });
      await settled(rt, 1);
      const [run] = await rt.listRuns();
      expect(run.status).toBe('failed');
      expect(run.error?.message).toContain('function');
    });

    it.runIf(!!publishRaw)('never runs an event again that arrives once more after the dedup window', async () => {
      const namespace = ns();
      let steps = 0;
      let bodies = 0;
      const fn = defineFunction({ id: 'once-only', trigger: { event: 'pay/requested' } }, async ({ step }) => {
        bodies++;
        await step.run('charge', () => ++steps);
      });
      const rt = await make({ namespace, functions: [fn] });
      await rt.send({ name: 'pay/requested', data: {}, id: 'payment-7' });
      await settled(rt, 1);
      const [first] = await rt.listRuns();
      // The same event as a new message, as a re-send after the transport forgot its id would arrive.
      await publishRaw!(namespace, encode({ v: 1, event: first.event }));
      await until(async () => (await rt.listEvents()).length === 2, 10_000, 'the second copy');
      await sleep(500);
      expect(steps).toBe(1);
      expect(bodies).toBeLessThanOrEqual(2);
      const runs = await rt.listRuns();
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({ status: 'succeeded', attempt: 1 });
    });

    it.runIf(!!publishRaw)('leaves a running run to its holder when a second copy of its event arrives meanwhile', async () => {
      const namespace = ns();
      let steps = 0;
      let bodies = 0;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const started: RunStateChange[] = [];
      const fn = defineFunction({ id: 'slow-charge', trigger: { event: 'pay/requested' } }, async ({ step }) => {
        bodies++;
        await step.run('charge', async () => {
          await gate;
          return ++steps;
        });
      });
      const rt = await make({ namespace, functions: [fn], ackWaitMs: 1_500 });
      rt.on('run', (c) => c.to === 'running' && started.push(c));
      await rt.send({ name: 'pay/requested', data: {} });
      await until(async () => started.length === 1, 10_000, 'the run to start');
      const [running] = await rt.listRuns();
      // A copy of the same event, as a publish sent again after its reply was lost arrives: a first delivery, not a redelivery.
      await publishRaw!(namespace, encode({ v: 1, event: running.event }));
      await until(async () => (await rt.listEvents()).length === 2, 10_000, 'the second copy');
      await sleep(300);
      expect(started).toHaveLength(1);
      expect((await rt.getRun(running.id))?.attempt).toBe(1);
      release();
      await settled(rt, 1);
      // The copy comes back after the ack wait, finds the run over and is acked.
      await sleep(2_000);
      expect(steps).toBe(1);
      // A first delivery starts the body before its claim lands (see claimFirst); the copy's lost claim stops it at its first step.
      expect(bodies).toBeLessThanOrEqual(2);
      expect(started).toHaveLength(1);
      expect(await rt.listRuns()).toMatchObject([{ status: 'succeeded', attempt: 1 }]);
    });

    it.runIf(!!publishRaw)('dead-letters a malformed message and keeps consuming', async () => {
      const namespace = ns();
      let calls = 0;
      const fn = defineFunction({ id: 'sturdy', trigger: { event: 'x/y' } }, async () => void calls++);
      const rt = await make({ namespace, functions: [fn] });
      await publishRaw!(namespace, new TextEncoder().encode('{"not":"msgpack envelope"'));
      await publishRaw!(namespace, new Uint8Array([0x93, 0x01, 0x02, 0x03]));
      await rt.send({ name: 'x/y', data: {} });
      await settled(rt, 1);
      await until(async () => (await rt.deadLetters()).length === 2, 10_000, 'dead letters');
      const letters = await rt.deadLetters();
      expect(letters.every((l) => l.group === 'sturdy' && l.reason.length > 0)).toBe(true);
      expect(calls).toBe(1);
    });
  });
}
