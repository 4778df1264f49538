/**
 * What the shutdown and chaos tests share: worker processes (test/fixtures/reliability-worker.mjs, on the
 * built package), a producer that keeps sending an event until the transport accepts it, and the audit
 * that says, from the steps' own side effects, what was lost and which completed step ran again.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { EventPayload, RunRecord, Runtime } from '../../index.js';
import { sleep } from '../servers/server-process.js';

const worker = join(import.meta.dirname, '../fixtures/reliability-worker.mjs');

export const counterUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves with the exit code (or signal), and how long `stop()` took as the worker measured it, if it said. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stopMs?: number }>;
}

/**
 * Forks a worker and resolves once it is ready. The child goes into `children` at once, so the test kills
 * it afterwards whatever happens; one that is not ready within `timeoutMs` is killed and rejects.
 */
export function startWorker(env: NodeJS.ProcessEnv, children: ChildProcess[], timeoutMs = 20_000): Promise<WorkerProcess> {
  const child = fork(worker, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  let stopMs: number | undefined;
  child.on('message', (m) => {
    if (typeof m === 'object' && m !== null && 'stopped' in m) stopMs = Number(m.stopped);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stopMs?: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stopMs })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker was not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (m) => {
      if (m !== 'ready') return;
      clearTimeout(timer);
      resolve({ child, exited });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code ?? signal} before it was ready`));
    });
  });
}

/** The side effects of one namespace's steps, kept in a Redis that no test pauses or kills. */
export class Counter {
  readonly redis = new Redis(counterUrl, { maxRetriesPerRequest: 3 });
  constructor(readonly prefix: string) {}

  get env(): NodeJS.ProcessEnv {
    return { COUNTER_URL: counterUrl, COUNTER_PREFIX: this.prefix };
  }

  /** Every step execution, in the order they happened: "<eventId> <step> <token>". */
  executions(): Promise<string[]> {
    return this.redis.lrange(`${this.prefix}:exec`, 0, -1);
  }

  async dispose(): Promise<void> {
    await this.redis.del(`${this.prefix}:exec`, `${this.prefix}:count`);
    await this.redis.quit();
  }
}

/**
 * Sends `events` in batches spread over `spanMs`. A batch the transport refuses (a paused server times
 * out) is sent again with the same ids until accepted, which the transport deduplicates: every event
 * here ends up accepted, so every one must have a run. Stops early when `stopped()` says so.
 */
export async function sendPaced(
  producer: Runtime,
  events: EventPayload[],
  spanMs: number,
  { batch = 50, stopped = () => false }: { batch?: number; stopped?: () => boolean } = {},
): Promise<{ refused: number }> {
  const began = Date.now();
  const batches = Math.ceil(events.length / batch);
  let refused = 0;
  for (let i = 0; i < batches && !stopped(); i++) {
    const due = began + (spanMs * i) / batches;
    if (due > Date.now()) await sleep(due - Date.now());
    const slice = events.slice(i * batch, (i + 1) * batch);
    for (;;) {
      try {
        await producer.send(slice);
        break;
      } catch {
        refused++;
        if (stopped()) return { refused };
        await sleep(200);
      }
    }
  }
  return { refused };
}

export interface Audit {
  events: number;
  /** Events with no run at all. */
  missing: string[];
  /** Runs by status, for runs that did not succeed. */
  notSucceeded: Record<string, number>;
  /** "<eventId> <step>" of completed steps that executed again after the execution whose result is stored. */
  ranAgain: string[];
  /**
   * Executions beyond one per completed step, all before the one whose result is stored: the documented
   * at-least-once for a step in flight when its worker died, and the deliberate first failures of step b.
   */
  reExecuted: number;
  executions: number;
}

/** Runs of `eventIds`, their stored step results and the executions the steps recorded, weighed against each other. */
export function audit(eventIds: string[], runs: RunRecord[], executions: string[]): Audit {
  const byEvent = new Map(runs.map((r) => [r.eventId, r]));
  const order = new Map<string, number>();
  const last = new Map<string, number>();
  executions.forEach((line, i) => {
    const [eventId, step, token] = line.split(' ');
    order.set(token, i);
    last.set(`${eventId} ${step}`, i);
  });
  const result: Audit = {
    events: eventIds.length,
    missing: [],
    notSucceeded: {},
    ranAgain: [],
    reExecuted: 0,
    executions: executions.length,
  };
  const stepsSeen = new Set<string>();
  for (const id of eventIds) {
    const run = byEvent.get(id);
    if (!run) {
      result.missing.push(id);
      continue;
    }
    if (run.status !== 'succeeded') result.notSucceeded[run.status] = (result.notSucceeded[run.status] ?? 0) + 1;
    for (const [step, record] of Object.entries(run.steps)) {
      const token = (record.output as { t?: string } | undefined)?.t;
      if (record.status !== 'succeeded' || token === undefined) continue;
      const key = `${id} ${step}`;
      stepsSeen.add(key);
      const at = order.get(token);
      const latest = last.get(key);
      if (at === undefined || latest === undefined || latest > at) result.ranAgain.push(key);
    }
  }
  // Every execution of a step, other than the one whose result is stored, happened before it (or the step never completed).
  result.reExecuted = executions.length - stepsSeen.size;
  return result;
}

/**
 * Polls `listRuns` until every event has a run in a final state, or `timeoutMs` passes; returns the last
 * listing. `trace` hears, per poll, the seconds since the first, how many runs were final, and how long
 * the listing took.
 */
export async function settledRuns(
  producer: Runtime,
  count: number,
  timeoutMs: number,
  pollMs = 2_000,
  trace?: (poll: string) => void,
): Promise<RunRecord[]> {
  const began = Date.now();
  const end = began + timeoutMs;
  for (;;) {
    const asked = Date.now();
    const runs = await producer.listRuns({ limit: count * 2 + 100 });
    const final = runs.filter((r) => r.status === 'succeeded' || r.status === 'failed' || r.status === 'cancelled').length;
    if (trace) {
      const open: Record<string, number> = {};
      for (const r of runs) if (!['succeeded', 'failed', 'cancelled'].includes(r.status)) open[r.status] = (open[r.status] ?? 0) + 1;
      trace(`${((asked - began) / 1000).toFixed(1)}s ${final}/${count} in ${Date.now() - asked}ms ${JSON.stringify(open)}`);
    }
    if ((final >= count && runs.length >= count) || Date.now() > end) return runs;
    await sleep(pollMs);
  }
}
