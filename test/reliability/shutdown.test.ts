/**
 * Graceful shutdown under load: a worker process gets SIGTERM (wired to `runtime.stop({ timeoutMs })`)
 * while 5,000 events flow, a second worker takes over, and the audit of the steps' own side effects
 * must find nothing lost and no completed step run again; the stopped worker exits within its timeout.
 * Some steps outlast the timeout on purpose, so both halves of stop() are exercised: attempts that
 * finish while it drains, and attempts handed back to the transport when it gives up waiting.
 */
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, silentLogger, type Runtime } from '../../index.js';
import { destroyNamespace as destroyNats } from '../../transports/nats/index.js';
import { destroyNamespace as destroyRedis } from '../../transports/redis/index.js';
import { stopProcess, sleep } from '../servers/server-process.js';
import { Counter, audit, sendPaced, settledRuns, startWorker } from './harness.js';

const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const transports = [
  { name: 'nats', url: natsUrl, destroy: (ns: string) => destroyNats(natsUrl, ns) },
  { name: 'redis', url: redisUrl, destroy: async (ns: string) => void (await destroyRedis(redisUrl, ns)) },
];

const EVENTS = 5_000;
const STOP_TIMEOUT_MS = 3_000;
const SIGTERM_AT_MS = 2_500;

describe.each(transports)('SIGTERM to a worker under load on $name', ({ name, url, destroy }) => {
  const children: ChildProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => stopProcess(c, 'SIGKILL')));
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it(`loses nothing, runs no completed step twice, and exits within timeoutMs (${EVENTS} events)`, async () => {
    const namespace = `shutdown_${name}_${process.pid}_${Date.now().toString(36)}`;
    cleanups.push(() => destroy(namespace));
    const counter = new Counter(`eventide-test:${namespace}`);
    cleanups.push(() => counter.dispose());
    const env = {
      ...counter.env,
      EVENTIDE_TRANSPORT: url,
      EVENTIDE_NAMESPACE: namespace,
      ACK_WAIT_MS: '3000',
      STOP_TIMEOUT_MS: String(STOP_TIMEOUT_MS),
      CONCURRENCY: '50',
    };
    const a = await startWorker(env, children);
    const producer: Runtime = createRuntime({ transport: url, namespace, worker: false, logger: silentLogger });
    cleanups.push(() => producer.stop({ timeoutMs: 1_000 }));
    await producer.start();

    const events = Array.from({ length: EVENTS }, (_, i) => ({
      name: 'job/created',
      id: `job-${i}`,
      data: {
        i,
        // A few steps outlast the stop timeout even if they began at the first send: those attempts are
        // handed back, not waited for.
        slowMs: i % 400 === 7 ? SIGTERM_AT_MS + STOP_TIMEOUT_MS + 2_000 : 10 + (i % 7) * 10,
        sleepMs: i % 5 === 0 ? 300 : 0,
        fail: i % 10 === 3,
      },
    }));
    const sending = sendPaced(producer, events, 5_000);

    await sleep(SIGTERM_AT_MS);
    const sigterm = Date.now();
    a.child.kill('SIGTERM');
    const b = await startWorker(env, children);
    const exit = await a.exited;
    const exitMs = Date.now() - sigterm;
    await sending;

    const runs = await settledRuns(producer, EVENTS, 90_000);
    const result = audit(
      events.map((e) => e.id),
      runs,
      await counter.executions(),
    );
    const pidOf = (token: unknown) => String(token).split('.')[0];
    const handedOver = runs.filter((r) => {
      const out = r.output as { a: string; c: string } | undefined;
      return out && pidOf(out.a) === String(a.child.pid) && pidOf(out.c) === String(b.child.pid);
    }).length;
    console.log(
      `[shutdown ${name}] ${JSON.stringify({ exitMs, stopMs: exit.stopMs, code: exit.code, handedOver, ...result, missing: result.missing.length, ranAgain: result.ranAgain.length })}`,
    );

    expect(exit.code).toBe(0);
    // stop() waited its whole timeout for the slow steps, then gave up on them, and no longer.
    expect(exit.stopMs).toBeGreaterThanOrEqual(STOP_TIMEOUT_MS - 50);
    expect(exit.stopMs).toBeLessThanOrEqual(STOP_TIMEOUT_MS + 500);
    // From the signal to the process gone: the drain, closing the transport, and the process' own exit.
    expect(exitMs).toBeLessThan(STOP_TIMEOUT_MS + 2_000);
    expect(result.missing).toEqual([]);
    expect(result.notSucceeded).toEqual({});
    expect(result.ranAgain).toEqual([]);
    // The stop happened mid-flow: runs began on the stopped worker and ended on the other.
    expect(handedOver).toBeGreaterThan(0);
    // The steps cut off by the timeout ran again on the other worker (on top of the deliberate first failures of b).
    expect(result.reExecuted).toBeGreaterThan(events.filter((e) => e.data.fail).length);
  }, 150_000);
});
