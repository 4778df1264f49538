/**
 * Two worker processes share one function's runs; one is killed with
 * SIGKILL inside its second step, after the first step completed. Every run
 * must finish on the survivor, without running the completed step again.
 * Runs against the built package (dist/), as a user's processes would.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, silentLogger, type Runtime } from '../../index.js';
import { until } from '../conformance/transport.suite.js';
import { stopProcess } from '../servers/server-process.js';
import { startWorker } from './workers.js';

export interface CrashSuiteOptions {
  name: string;
  url: string;
  cleanup?: (namespace: string) => Promise<void>;
}

const worker = join(import.meta.dirname, '../fixtures/crash-worker.mjs');

export function crashSuite({ name, url, cleanup }: CrashSuiteOptions): void {
  describe(`worker killed mid-run on ${name}`, () => {
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

    it('finishes every run on the surviving worker; completed steps do not run again', async () => {
      const namespace = `crash_${process.pid}_${Date.now().toString(36)}`;
      namespaces.push(namespace);
      const dir = mkdtempSync(join(tmpdir(), 'eventide-crash-'));
      dirs.push(dir);
      const log = join(dir, 'steps.log');
      const lines = () => {
        try {
          return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
        } catch {
          return [];
        }
      };
      const env = {
        ...process.env,
        EVENTIDE_TRANSPORT: url,
        EVENTIDE_NAMESPACE: namespace,
        EVENTIDE_LOG: log,
        SLOW_MS: '1500',
        ACK_WAIT_MS: '1500',
      };

      const a = await startWorker(worker, env, children);
      const producer = createRuntime({ transport: url, namespace, worker: false, logger: silentLogger });
      runtimes.push(producer);
      await producer.start();
      const n = 30;
      await producer.send(Array.from({ length: n }, (_, i) => ({ name: 'job/created', data: { i }, id: `job-${i}` })));

      // The first worker takes the runs and sits inside the second step of each.
      await until(
        () => lines().filter((l) => l.startsWith('second-start') && l.endsWith(` ${a.pid}`)).length === n,
        20_000,
        'all runs inside step two on worker A',
      );
      const b = await startWorker(worker, env, children);
      await stopProcess(a, 'SIGKILL');

      await until(
        async () => (await producer.listRuns({ limit: 1000 })).filter((r) => r.status === 'succeeded').length === n,
        45_000,
        'every run to succeed on worker B',
      );
      const runs = await producer.listRuns({ limit: 1000 });
      expect(runs).toHaveLength(n);
      const all = lines();
      for (const run of runs) {
        expect(run.status).toBe('succeeded');
        const firsts = all.filter((l) => l.startsWith(`first ${run.eventId} `));
        expect(firsts, `first step of ${run.eventId}`).toEqual([`first ${run.eventId} ${a.pid}`]);
        expect(all).toContain(`second-end ${run.eventId} ${b.pid}`);
        expect(run.output).toEqual({ firstBy: a.pid, secondBy: b.pid });
        expect(run.steps.first.attempts).toBe(1);
        expect(run.attempt).toBe(2);
      }
      b.kill('SIGTERM');
    }, 90_000);
  });
}
