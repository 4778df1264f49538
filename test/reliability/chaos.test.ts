/**
 * Chaos: three worker processes share a function with steps, sleeps and retries while events flow; every
 * 2 s one of them, at random, is killed -9 and a new one started in its place, and the server is frozen
 * (SIGSTOP for 5 s, then SIGCONT). The server is one this file starts on its own port, so freezing it
 * disturbs no other test. At the end every run must be final and succeeded, and the audit of the steps'
 * own side effects must find nothing lost and no completed step run again.
 *
 * Quick form in `npm test`; `npm run chaos` (EVENTIDE_CHAOS=full) runs the full one: 10,000 events,
 * 3 minutes of kills, two freezes.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, silentLogger, type Runtime } from '../../index.js';
import { removeWithThisProcess } from '../servers/die-with-this-process.js';
import { startNats } from '../servers/nats-server.js';
import { startOnFreePorts } from '../servers/on-free-ports.js';
import { startRedis } from '../servers/redis-server.js';
import { sleep, stopProcess, type ServerProcess } from '../servers/server-process.js';
import { Counter, audit, sendPaced, settledRuns, startWorker, type WorkerProcess } from './harness.js';

const full = process.env.EVENTIDE_CHAOS === 'full';
const preset = full ? { events: 10_000, chaosMs: 180_000, pausesAt: [0.3, 0.7] } : { events: 1_000, chaosMs: 30_000, pausesAt: [0.45] };
// Sizes in between, for looking into one transport without the full run: EVENTIDE_CHAOS_EVENTS, _SECONDS, _ON=nats|redis.
const { env } = process;
const plan = {
  ...preset,
  events: Number(env.EVENTIDE_CHAOS_EVENTS ?? preset.events),
  chaosMs: env.EVENTIDE_CHAOS_SECONDS ? Number(env.EVENTIDE_CHAOS_SECONDS) * 1000 : preset.chaosMs,
};
const WORKERS = 3;
const KILL_EVERY_MS = 2_000;
const PAUSE_MS = 5_000;
const ACK_WAIT_MS = Number(env.EVENTIDE_CHAOS_ACK_WAIT_MS ?? 3_000);
const SETTLE_MS = 120_000;

interface OwnServer {
  url: string;
  server: ServerProcess;
  dir: string;
}

const servers = {
  nats: (): Promise<OwnServer> =>
    startOnFreePorts(1, async ([port]) => {
      const dir = removeWithThisProcess(mkdtempSync(join(tmpdir(), 'eventide-chaos-nats-')));
      return { url: `nats://127.0.0.1:${port}`, server: await startNats(port, dir), dir };
    }),
  redis: (): Promise<OwnServer> =>
    startOnFreePorts(1, async ([port]) => {
      const dir = removeWithThisProcess(mkdtempSync(join(tmpdir(), 'eventide-chaos-redis-')));
      return { url: `redis://127.0.0.1:${port}`, server: await startRedis(port, ['--save', '', '--appendonly', 'no', '--dir', dir]), dir };
    }),
};

const on = (Object.keys(servers) as (keyof typeof servers)[]).filter((k) => !env.EVENTIDE_CHAOS_ON || env.EVENTIDE_CHAOS_ON === k);

describe.each(on)('chaos on %s', (name) => {
  let own: OwnServer | undefined;
  const children: ChildProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    own = await servers[name]();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => stopProcess(c, 'SIGKILL')));
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    const child = own?.server.child;
    child?.kill('SIGCONT');
    await stopProcess(child, 'SIGKILL');
    if (own) rmSync(own.dir, { recursive: true, force: true });
  });

  it(
    `${plan.events} events, a worker killed -9 every 2 s for ${plan.chaosMs / 1000} s, the server frozen ${plan.pausesAt.length}×: nothing lost, no completed step twice`,
    async () => {
      const { url, server } = own!;
      const namespace = `chaos_${name}_${process.pid}_${Date.now().toString(36)}`;
      const counter = new Counter(`eventide-test:${namespace}`);
      cleanups.push(() => counter.dispose());
      const workerEnv = {
        ...counter.env,
        EVENTIDE_TRANSPORT: url,
        EVENTIDE_NAMESPACE: namespace,
        ACK_WAIT_MS: String(ACK_WAIT_MS),
        CONCURRENCY: '20',
      };

      // One slot per worker: a killed worker's replacement starts in the background, the kills go on meanwhile.
      const slots: (WorkerProcess | undefined)[] = await Promise.all(
        Array.from({ length: WORKERS }, () => startWorker(workerEnv, children)),
      );
      let chaos = true;
      const respawn = async (i: number): Promise<void> => {
        while (chaos || slots[i] === undefined) {
          try {
            slots[i] = await startWorker(workerEnv, children, 30_000);
            return;
          } catch {
            // Killed before it was ready, or the server was frozen the whole time: try again.
          }
        }
      };
      const respawns: Promise<void>[] = [];

      const producer: Runtime = createRuntime({ transport: url, namespace, worker: false, logger: silentLogger });
      cleanups.push(() => producer.stop({ timeoutMs: 1_000 }));
      await producer.start();
      const events = Array.from({ length: plan.events }, (_, i) => ({
        name: 'job/created',
        id: `job-${i}`,
        data: {
          i,
          sleepMs: i % 4 === 0 ? 200 + (i % 9) * 200 : 0,
          fail: i % 5 === 1,
          slowMs: i % 50 === 0 ? 1_500 : (i % 10) * 20,
        },
      }));
      const began = Date.now();
      // Events flow until nearly the end, so the last kills still land on work in flight.
      const sending = sendPaced(producer, events, plan.chaosMs * 0.95);

      // A kill is due every 2 s from the start, however long the last one took. A tick finds no worker to kill
      // only when every slot is still starting its replacement (slow on a loaded machine, stalled while frozen).
      let kills = 0;
      let ticks = 0;
      const killing = (async () => {
        for (let due = began + KILL_EVERY_MS; due < began + plan.chaosMs; due += KILL_EVERY_MS) {
          if (due > Date.now()) await sleep(due - Date.now());
          ticks++;
          const live = slots.flatMap((w, i) => (w ? [i] : []));
          if (live.length === 0) continue;
          const i = live[Math.floor(Math.random() * live.length)];
          const victim = slots[i]!;
          slots[i] = undefined;
          await stopProcess(victim.child, 'SIGKILL');
          kills++;
          respawns.push(respawn(i));
        }
      })();
      const pausing = (async () => {
        for (const at of plan.pausesAt) {
          const due = began + plan.chaosMs * at;
          if (due > Date.now()) await sleep(due - Date.now());
          server.child.kill('SIGSTOP');
          await sleep(PAUSE_MS);
          server.child.kill('SIGCONT');
        }
      })();

      const { refused } = await sending;
      await Promise.all([killing, pausing]);
      chaos = false;
      await Promise.all(respawns);
      const sentAt = Date.now();

      const polls: string[] = [];
      const runs = await settledRuns(producer, plan.events, SETTLE_MS, 3_000, (p) => polls.push(p));
      const settleMs = Date.now() - sentAt;
      const result = audit(
        events.map((e) => e.id),
        runs,
        await counter.executions(),
      );
      console.log(
        `[chaos ${name}] ${JSON.stringify({ ...plan, ticks, kills, polls, refusedBatches: refused, settleMs, ...result, missing: result.missing.length, ranAgain: result.ranAgain.slice(0, 20), ranAgainCount: result.ranAgain.length })}`,
      );

      // The chaos happened: most ticks killed a worker. How many found none depends on how fast this machine starts a process.
      expect(kills).toBeGreaterThanOrEqual(ticks * 0.5);
      expect(result.missing).toEqual([]);
      expect(result.notSucceeded).toEqual({});
      expect(result.ranAgain).toEqual([]);
    },
    plan.chaosMs + SETTLE_MS + 90_000,
  );
});
