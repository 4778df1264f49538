/** Memory-only behaviours driven by a TestClock: long sleeps and backoffs without real waiting. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  RetryAfterError,
  RuntimeStoppedError,
  TestClock,
  TransportError,
  createRuntime,
  defineFunction,
  silentLogger,
  type Runtime,
  type RuntimeOptions,
  type RunStateChange,
} from '../../index.js';
import { createMemoryTransport, MemoryHub } from '../../transports/memory/index.js';

const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.stop({ timeoutMs: 100 });
});

async function clocked(functions: RuntimeOptions['functions'], extra: RuntimeOptions = {}) {
  const clock = new TestClock();
  const rt = createRuntime({
    clock,
    functions,
    logger: silentLogger,
    transport: 'memory://',
    namespace: `clk${runtimes.length}`,
    ...extra,
  });
  runtimes.push(rt);
  await rt.start();
  const changes: RunStateChange[] = [];
  rt.on('run', (c) => changes.push(c));
  return { rt, clock, changes };
}

describe('runtime with an injected clock', () => {
  it('sleeps for a day without waiting and without a timer per run', async () => {
    let after = 0;
    const fn = defineFunction({ id: 'trial-reminder', trigger: { event: 'trial/started' } }, async ({ step }) => {
      await step.sleep('wait-a-day', '1d');
      await step.run('remind', () => ++after);
    });
    const { rt, clock } = await clocked([fn], { concurrency: 2 });
    await rt.send(Array.from({ length: 50 }, (_, i) => ({ name: 'trial/started', data: { i } })));
    await clock.advance(10);
    const runs = await rt.listRuns({ limit: 100 });
    expect(runs).toHaveLength(50);
    expect(runs.every((r) => r.status === 'sleeping')).toBe(true);
    // 50 sleeping runs, concurrency 2: none holds a slot, and there is no timer per run: only the
    // transport's delay timer and ack-deadline sweep, and the runtime's heartbeat
    expect(clock.pending).toBeLessThanOrEqual(3);
    await clock.advance(86_400_000 - 1_000);
    expect(after).toBe(0);
    await clock.advance(2_000);
    expect(after).toBe(50);
    expect((await rt.listRuns({ limit: 100 })).every((r) => r.status === 'succeeded')).toBe(true);
  });

  it('spaces retries by the exponential backoff', async () => {
    const at: number[] = [];
    const fn = defineFunction(
      { id: 'backoff', trigger: { event: 'x' }, retries: 3, backoff: { type: 'exponential', delay: '1s', jitter: false } },
      async ({ attempt }) => {
        at.push(Date.now());
        if (attempt <= 3) throw new Error(`attempt ${attempt}`);
      },
    );
    const { rt, clock, changes } = await clocked([fn]);
    await rt.send({ name: 'x', data: {} });
    await clock.advance(995); // first attempt failed at t=0: the retry is due at 1000
    expect(changes.filter((c) => c.to === 'running')).toHaveLength(1);
    await clock.advance(10);
    expect(changes.filter((c) => c.to === 'running')).toHaveLength(2);
    await clock.advance(1_990); // second failed at 1000: due at 3000
    expect(changes.filter((c) => c.to === 'running')).toHaveLength(2);
    await clock.advance(10);
    expect(changes.filter((c) => c.to === 'running')).toHaveLength(3);
    await clock.advance(3_990); // third failed at 3000: due at 7000
    expect(changes.filter((c) => c.to === 'running')).toHaveLength(3);
    await clock.advance(10);
    expect(changes.map((c) => c.to).at(-1)).toBe('succeeded');
    const [run] = await rt.listRuns();
    expect(run.attempt).toBe(4);
  });

  it('honours a RetryAfterError date', async () => {
    const clockStart = new TestClock().now();
    const fn = defineFunction({ id: 'after-date', trigger: { event: 'x' } }, async ({ attempt }) => {
      if (attempt === 1) throw new RetryAfterError('quota resets at the hour', new Date(clockStart + 3_600_000));
    });
    const { rt, clock, changes } = await clocked([fn]);
    await rt.send({ name: 'x', data: {} });
    await clock.advance(3_599_000);
    expect(changes.map((c) => c.to)).toEqual(['running', 'retrying']);
    const [waiting] = await rt.listRuns();
    expect(waiting.nextAttemptAt).toBe(clockStart + 3_600_000);
    await clock.advance(1_000);
    expect(changes.map((c) => c.to)).toEqual(['running', 'retrying', 'running', 'succeeded']);
  });
});

describe('retention of finished runs', () => {
  it('keeps the newest succeeded runs up to the count, and failed runs whatever the count', async () => {
    const fn = defineFunction({ id: 'kept', trigger: { event: 'x' }, retries: 0 }, async ({ event }) => {
      if ((event.data as { fail?: boolean }).fail) throw new Error('no');
    });
    const { rt, clock } = await clocked([fn], { keepFinishedRuns: { count: 3 } });
    for (let i = 0; i < 6; i++) {
      await rt.send({ name: 'x', data: { i, fail: i === 0 } });
      await clock.advance(10);
    }
    const runs = await rt.listRuns();
    expect(runs.filter((r) => r.status === 'succeeded').map((r) => (r.event.data as { i: number }).i)).toEqual([5, 4, 3]);
    expect(runs.filter((r) => r.status === 'failed')).toHaveLength(1);
  });

  it('deletes finished runs once they are older than the age', async () => {
    const fn = defineFunction({ id: 'aged', trigger: { event: 'x' } }, async () => 'ok');
    const { rt, clock } = await clocked([fn], { keepFinishedRuns: { age: '1h' } });
    await rt.send({ name: 'x', data: {} });
    await clock.advance(10);
    expect(await rt.listRuns()).toHaveLength(1);
    await clock.advance(3_600_000 - 60_000);
    expect(await rt.listRuns()).toHaveLength(1);
    await clock.advance(120_000);
    expect(await rt.listRuns()).toHaveLength(0);
  });

  it('refuses a count that is not a whole number', () => {
    expect(() => createRuntime({ keepFinishedRuns: { count: -1 } })).toThrow(/keepFinishedRuns.count/);
    expect(() => createRuntime({ keepFinishedRuns: { age: 'forever' } })).toThrow(/duration/);
  });
});

describe('boundaries', () => {
  it('refuses to grow a memory queue past its limit, with a clear error', async () => {
    const hub = new MemoryHub(new TestClock(), { maxQueued: 3 });
    const fn = defineFunction({ id: 'never-done', trigger: { event: 'x' } }, async () => new Promise(() => {}));
    const rt = createRuntime({
      transport: createMemoryTransport({ hub, namespace: 'limit' }),
      functions: [fn],
      logger: silentLogger,
      concurrency: 1,
    });
    runtimes.push(rt);
    await rt.start();
    for (let i = 0; i < 3; i++) await rt.send({ name: 'x', data: { i } });
    const err = await rt.send({ name: 'x', data: { i: 4 } }).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.code).toBe('QUEUE_FULL');
    expect(err.message).toMatch(/never-done.*maxQueued/);
  });

  it('refuses bad configuration when it is written', () => {
    expect(() => createRuntime({ transport: 'kafka://x' })).toThrow(ConfigError);
    expect(() => createRuntime({ namespace: 'has space' })).toThrow(/namespace/);
    expect(() => createRuntime({ concurrency: 0 })).toThrow(/concurrency/);
    const f = defineFunction({ id: 'same', trigger: { event: 'x' } }, () => 1);
    expect(() => createRuntime({ functions: [f, f] })).toThrow(/two functions share the id "same"/);
    expect(() => defineFunction({ id: 'bad id', trigger: { event: 'x' } }, () => 1)).toThrow(ConfigError);
    expect(() => defineFunction({ id: 'ok', trigger: { event: '' } }, () => 1)).toThrow(/trigger.event/);
    expect(() => defineFunction({ id: 'ok', trigger: { event: 'x' }, retries: -1 }, () => 1)).toThrow(/retries/);
    expect(() => defineFunction({ id: 'ok', trigger: { event: 'x' }, timeoutMs: 'soon' }, () => 1)).toThrow(/duration/);
  });

  it('picks the transport from EVENTIDE_TRANSPORT when none is given', async () => {
    const before = process.env.EVENTIDE_TRANSPORT;
    process.env.EVENTIDE_TRANSPORT = 'memory://';
    try {
      const rt = createRuntime({ logger: silentLogger });
      runtimes.push(rt);
      await rt.start();
      expect(rt.transportKind).toBe('memory');
      process.env.EVENTIDE_TRANSPORT = 'smtp://nope';
      expect(() => createRuntime()).toThrow(/names no transport this runtime knows/);
    } finally {
      if (before === undefined) delete process.env.EVENTIDE_TRANSPORT;
      else process.env.EVENTIDE_TRANSPORT = before;
    }
  });

  it('cannot start again after stop', async () => {
    const rt = createRuntime({ logger: silentLogger, namespace: 'restart' });
    await rt.start();
    await rt.stop();
    await expect(rt.start()).rejects.toBeInstanceOf(RuntimeStoppedError);
    await expect(rt.send({ name: 'x', data: {} })).rejects.toThrow(/stopped/);
  });
});
