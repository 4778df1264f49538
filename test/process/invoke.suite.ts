/**
 * `step.invoke` and `onFailure` across a kill -9: a worker process kills
 * itself right after the transport accepted an invoked child's envelope, or
 * a failure handler's, before the run's own record says so. A second worker
 * finishes the work: every parent completes with exactly one child run, and
 * every failed run has exactly one failure handler run, which ran once.
 * Runs against the built package (dist/), as a user's processes would.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, silentLogger, type Runtime } from '../../index.js';
import { until } from '../conformance/transport.suite.js';
import { stopProcess } from '../servers/server-process.js';
import { linesOf, startWorker } from './workers.js';

export interface InvokeProcessSuiteOptions {
  name: string;
  url: string;
  cleanup?: (namespace: string) => Promise<void>;
}

const script = join(import.meta.dirname, '../fixtures/invoke-worker.mjs');

/** Resolves when the process has exited (at once if it has). */
function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${child.pid} did not die within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function invokeProcessSuite({ name, url, cleanup }: InvokeProcessSuiteOptions): void {
  describe(`invoke and onFailure across a kill -9 on ${name}`, () => {
    const children: ChildProcess[] = [];
    const runtimes: Runtime[] = [];
    const dirs: string[] = [];
    const namespaces: string[] = [];

    afterEach(async () => {
      await Promise.all(children.splice(0).map((c) => stopProcess(c, 'SIGKILL')));
      for (const r of runtimes.splice(0)) await r.stop({ timeoutMs: 500 });
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
      if (cleanup) for (const n of namespaces.splice(0)) await cleanup(n);
    });

    const setup = async (tag: string, killOn: string) => {
      const namespace = `${tag}_${process.pid}_${Date.now().toString(36)}`;
      namespaces.push(namespace);
      const dir = mkdtempSync(join(tmpdir(), `eventide-${tag}-`));
      dirs.push(dir);
      const log = join(dir, 'lines.log');
      const env = { ...process.env, EVENTIDE_TRANSPORT: url, EVENTIDE_NAMESPACE: namespace, EVENTIDE_LOG: log, ACK_WAIT_MS: '1500' };
      const a = await startWorker(script, { ...env, KILL_AFTER_PUBLISH: killOn }, children);
      const producer = createRuntime({ transport: url, namespace, worker: false, logger: silentLogger });
      runtimes.push(producer);
      await producer.start();
      return { a, env, producer, lines: () => linesOf(log) };
    };

    it('a parent whose worker dies right after publishing its child completes with exactly one child run', async () => {
      const { a, env, producer, lines } = await setup('invoke', 'eventide/function.invoked');
      const n = 5;
      await producer.send(Array.from({ length: n }, (_, i) => ({ name: 'flow/start', data: { n: i }, id: `start-${i}` })));
      await exited(a, 20_000);
      await startWorker(script, env, children);
      await until(
        async () => (await producer.listRuns({ functionId: 'parent-flow' })).filter((r) => r.status === 'succeeded').length === n,
        45_000,
        'every parent to succeed on the second worker',
      );
      const parents = await producer.listRuns({ functionId: 'parent-flow' });
      const kids = await producer.listRuns({ functionId: 'child-flow' });
      expect(kids).toHaveLength(n);
      for (const p of parents) {
        const i = (p.event.data as { n: number }).n;
        expect(p.output).toEqual({ doubled: i * 2 });
        const mine = kids.filter((k) => k.parentRunId === p.id);
        expect(mine, `children of parent ${i}`).toHaveLength(1);
        expect(p.steps.child.invoked?.runId).toBe(mine[0].id);
        expect(lines().filter((l) => l.startsWith(`child-work ${i} `))).toHaveLength(1);
      }
    }, 90_000);

    it('a run whose worker dies right after publishing its failure gets exactly one failure handler run', async () => {
      const { a, env, producer, lines } = await setup('failure', 'eventide/function.failed');
      const n = 3;
      await producer.send(Array.from({ length: n }, (_, i) => ({ name: 'fragile/go', data: { n: i }, id: `fragile-${i}` })));
      await exited(a, 20_000);
      await startWorker(script, env, children);
      const ended = async (functionId: string, status: string) =>
        (await producer.listRuns({ functionId })).filter((r) => r.status === status).length === n;
      await until(
        async () => (await ended('fragile', 'failed')) && (await ended('fragile-failure', 'succeeded')),
        45_000,
        'every run to fail, and a failure handler run per failed run',
      );
      // Time for a second handler run, were one coming.
      await new Promise((r) => setTimeout(r, 1_000));
      const failed = await producer.listRuns({ functionId: 'fragile' });
      const handlers = await producer.listRuns({ functionId: 'fragile-failure' });
      expect(failed.map((r) => r.status)).toEqual(Array(n).fill('failed'));
      expect(handlers).toHaveLength(n);
      const all = lines();
      // The worker that was killed got at least one run to the moment of failure.
      expect(all.some((l) => l.startsWith('fragile-body ') && l.endsWith(` ${a.pid}`))).toBe(true);
      for (const run of failed) {
        const i = (run.event.data as { n: number }).n;
        const handler = handlers.find((h) => h.failureOf === run.id);
        expect(handler, `handler of ${i}`).toBeDefined();
        expect(run.onFailureRunId).toBe(handler?.id);
        // One handler run, whose step ran once. Its code before the first step may have begun more than once, as any
        // run's may (in the killed worker, and in a copy of its message whose claim lost): that code is not memoised.
        expect(handler?.steps.page).toMatchObject({ status: 'succeeded', attempts: 1 });
        expect(all.filter((l) => l.startsWith('on-failure ') && l.includes(` ${run.id} `)).length).toBeGreaterThanOrEqual(1);
        expect(all.filter((l) => l.startsWith(`page ${i} fragile ${i} broke `))).toHaveLength(1);
      }
    }, 90_000);
  });
}
