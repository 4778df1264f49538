/**
 * Cron across processes: two worker processes run one per-second schedule;
 * every tick starts exactly one run (counted from the lines each run writes
 * and from the run records), and no tick between the first and the last is
 * missing. Runs against the built package (dist/), as a user's processes would.
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

export interface CronProcessSuiteOptions {
  name: string;
  url: string;
  cleanup?: (namespace: string) => Promise<void>;
}

const script = join(import.meta.dirname, '../fixtures/cron-worker.mjs');

export function cronProcessSuite({ name, url, cleanup }: CronProcessSuiteOptions): void {
  describe(`cron across worker processes on ${name}`, () => {
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

    it('two worker processes, ten ticks: ten runs', async () => {
      const namespace = `cronp_${process.pid}_${Date.now().toString(36)}`;
      namespaces.push(namespace);
      const dir = mkdtempSync(join(tmpdir(), 'eventide-cron-'));
      dirs.push(dir);
      const log = join(dir, 'ticks.log');
      const env = { ...process.env, EVENTIDE_TRANSPORT: url, EVENTIDE_NAMESPACE: namespace, EVENTIDE_LOG: log };
      // A process that runs no functions (a web process) reads the runs; it publishes no ticks.
      const producer = createRuntime({ transport: url, namespace, worker: false, logger: silentLogger });
      runtimes.push(producer);
      await producer.start();
      const workers = await Promise.all([startWorker(script, env, children), startWorker(script, env, children)]);
      const bothUp = Date.now();
      const ticksSince = () => linesOf(log).filter((l) => Number(l.split(' ')[2]) > bothUp);
      await until(() => ticksSince().length >= 10, 30_000, 'ten ticks after both workers started');
      // Each worker drains its runs in flight before it exits.
      await Promise.all(workers.map((w) => stopProcess(w, 'SIGTERM', 10_000)));

      const lines = linesOf(log).map((l) => l.split(' '));
      const byTick = new Map<string, number>();
      for (const [, id] of lines) byTick.set(id, (byTick.get(id) ?? 0) + 1);
      expect([...byTick.values()].every((n) => n === 1)).toBe(true);
      const times = lines.map(([, , ts]) => Number(ts)).sort((a, b) => a - b);
      // Every second from the first tick to the last ran: none missed while two workers ran, none twice.
      expect(times.slice(1).map((t, i) => t - times[i])).toEqual(Array(times.length - 1).fill(1_000));
      expect(times.filter((t) => t > bothUp).length).toBeGreaterThanOrEqual(10);

      const runs = await producer.listRuns({ functionId: 'ticker', limit: 1_000 });
      const ran = runs.filter((r) => byTick.has(r.eventId));
      expect(ran).toHaveLength(byTick.size);
      expect(ran.every((r) => r.status === 'succeeded' && r.event.name === 'eventide/cron')).toBe(true);
      // A run for a tick beyond the log could only be one cut short by the stop, never a second run of a logged tick.
      expect(new Set(runs.map((r) => r.eventId)).size).toBe(runs.length);
    }, 60_000);
  });
}
