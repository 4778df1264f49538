/**
 * Every process on one SQLite file — a producer and two workers — is killed
 * with SIGKILL and started again, three times, while events flow and runs
 * sleep. Every event whose send resolved has a run that ends (succeeded),
 * and every sleeping run wakes no earlier than it was due, and no later than
 * the first moment a worker was up to take it (plus one ack wait, for a
 * worker killed just after it claimed the wake-up). Runs against the built
 * package (dist/).
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, silentLogger, type Runtime } from '../../index.js';
import { until } from '../conformance/transport.suite.js';
import { linesOf, startWorker } from '../process/workers.js';
import { sleep, stopProcess } from '../servers/server-process.js';
import { fileFor, removeFile } from './sqlite.fixture.js';

const fixtures = join(import.meta.dirname, '../fixtures');
const ackWaitMs = 1_000;
/** What a wake-up may take past the moment a worker could take it: the poll, the claim and the step, on a loaded machine. */
const slackMs = 2_000;

describe('sqlite: every process restarted while events flow and runs sleep', () => {
  const children: ChildProcess[] = [];
  const runtimes: Runtime[] = [];
  const path = fileFor(`restart_${process.pid}`);
  const log = `${path}.log`;

  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => stopProcess(c, 'SIGKILL')));
    for (const r of runtimes.splice(0)) await r.stop({ timeoutMs: 500 });
    await removeFile(path);
    await removeFile(log);
  });

  it('ends the run of every accepted event; sleeping runs wake on time', async () => {
    const env = {
      ...process.env,
      EVENTIDE_TRANSPORT: `sqlite://${path}`,
      EVENTIDE_NAMESPACE: 'restart',
      EVENTIDE_LOG: log,
      ACK_WAIT_MS: String(ackWaitMs),
      SEND_EVERY_MS: '20',
      SLEEP_MIN_MS: '300',
      SLEEP_MAX_MS: '2500',
    };
    // When at least one worker was up: [from, to] (to is Infinity for the last).
    const up: [number, number][] = [];
    const startAll = async () => {
      const started = await Promise.all([
        startWorker(join(fixtures, 'sleeper-worker.mjs'), env, children),
        startWorker(join(fixtures, 'sleeper-worker.mjs'), env, children),
        startWorker(join(fixtures, 'steady-producer.mjs'), env, children),
      ]);
      up.push([Date.now(), Infinity]);
      return started;
    };
    const killAll = async (live: ChildProcess[]) => {
      up[up.length - 1][1] = Date.now();
      await Promise.all(live.map((c) => stopProcess(c, 'SIGKILL')));
    };

    let live = await startAll();
    for (let round = 0; round < 3; round++) {
      await sleep(1_500);
      await killAll(live);
      await sleep(300);
      live = await startAll();
    }
    await sleep(1_500);
    // The last producer goes too (mid-send, perhaps); the workers stay to finish.
    await stopProcess(live[2], 'SIGKILL');
    const accepted = linesOf(log)
      .filter((l) => l.startsWith('accepted '))
      .map((l) => l.split(' ')[1]);
    expect(accepted.length).toBeGreaterThan(100);

    const observer = createRuntime({ transport: `sqlite://${path}`, namespace: 'restart', worker: false, logger: silentLogger });
    runtimes.push(observer);
    await observer.start();
    const ended = async () => {
      const runs = await observer.listRuns({ functionId: 'sleeper', limit: 100_000 });
      const done = new Set(runs.filter((r) => r.status === 'succeeded').map((r) => r.eventId));
      return accepted.every((id) => done.has(id)) && runs.every((r) => r.status === 'succeeded');
    };
    await until(ended, 60_000, 'the run of every accepted event to succeed');

    // The first moment at or after `t` when a worker was up.
    const firstUp = (t: number) => {
      for (const [from, to] of up) {
        if (t <= to) return Math.max(t, from);
      }
      return t;
    };
    const woke = new Map<string, { due: number; at: number }>();
    for (const line of linesOf(log).filter((l) => l.startsWith('woke '))) {
      const [, id, due, at] = line.split(' ');
      if (!woke.has(id)) woke.set(id, { due: Number(due), at: Number(at) });
    }
    for (const id of accepted) {
      const w = woke.get(id);
      expect(w, `run of ${id} woke`).toBeDefined();
      expect(w!.at, `${id} woke no earlier than due`).toBeGreaterThanOrEqual(w!.due);
      expect(w!.at, `${id} woke once a worker could take it`).toBeLessThanOrEqual(firstUp(firstUp(w!.due) + ackWaitMs) + slackMs);
    }
  }, 120_000);
});
