/**
 * Two worker processes and a producer share one SQLite file; a worker is
 * killed with SIGKILL inside a run's second step, three times, and a fresh
 * one takes its place each time. Every run succeeds, and no completed first
 * step runs again. Runs against the built package (dist/).
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, silentLogger, type Runtime } from '../../index.js';
import { until } from '../conformance/transport.suite.js';
import { linesOf, startWorker } from '../process/workers.js';
import { stopProcess } from '../servers/server-process.js';
import { fileFor, removeFile } from './sqlite.fixture.js';

const script = join(import.meta.dirname, '../fixtures/crash-worker.mjs');

describe('sqlite: workers killed mid-step, three times', () => {
  const children: ChildProcess[] = [];
  const runtimes: Runtime[] = [];
  const path = fileFor(`kills_${process.pid}`);

  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => stopProcess(c, 'SIGKILL')));
    for (const r of runtimes.splice(0)) await r.stop({ timeoutMs: 500 });
    await removeFile(path);
    await removeFile(`${path}.log`);
  });

  it('finishes every run; completed first steps never run again', async () => {
    const url = `sqlite://${path}`;
    const log = `${path}.log`;
    const env = {
      ...process.env,
      EVENTIDE_TRANSPORT: url,
      EVENTIDE_NAMESPACE: 'kills',
      EVENTIDE_LOG: log,
      SLOW_MS: '800',
      ACK_WAIT_MS: '1000',
    };
    const producer = createRuntime({ transport: url, namespace: 'kills', worker: false, logger: silentLogger });
    runtimes.push(producer);
    await producer.start();
    const live = await Promise.all([startWorker(script, env, children), startWorker(script, env, children)]);
    const n = 40;
    await producer.send(Array.from({ length: n }, (_, i) => ({ name: 'job/created', data: { i }, id: `job-${i}` })));
    for (let kill = 0; kill < 3; kill++) {
      // Kill a worker while it is inside some run's second step, and start another in its place.
      let victim: ChildProcess | undefined;
      await until(
        () => {
          const inside = (c: ChildProcess) => {
            const lines = linesOf(log);
            return (
              lines.filter((l) => l.startsWith('second-start') && l.endsWith(` ${c.pid}`)).length >
              lines.filter((l) => l.startsWith('second-end') && l.endsWith(` ${c.pid}`)).length
            );
          };
          victim = live.find(inside);
          return victim !== undefined;
        },
        30_000,
        `a worker inside step two (kill ${kill + 1})`,
      );
      // A step is complete once its result is written, which happens while the next step runs: give that a moment.
      await new Promise((r) => setTimeout(r, 300));
      await stopProcess(victim, 'SIGKILL');
      live.splice(live.indexOf(victim!), 1, await startWorker(script, env, children));
    }
    await until(async () => (await producer.listRuns({ status: 'succeeded', limit: 1_000 })).length === n, 60_000, 'every run to succeed');
    const lines = linesOf(log);
    for (let i = 0; i < n; i++) {
      expect(
        lines.filter((l) => l.startsWith(`first job-${i} `)),
        `first step of job-${i}`,
      ).toHaveLength(1);
    }
    expect((await producer.listRuns({ limit: 1_000 })).every((r) => r.status === 'succeeded')).toBe(true);
  }, 120_000);
});
