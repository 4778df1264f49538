/**
 * Flow control across processes: two worker processes share one function
 * with a per-key concurrency limit. The limit holds across them (counted
 * from the timestamps each run logs), a slot whose holder is killed comes
 * back within the ack wait, and a stopped worker loses no parked run.
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

export interface FlowProcessSuiteOptions {
  name: string;
  url: string;
  cleanup?: (namespace: string) => Promise<void>;
}

const script = join(import.meta.dirname, '../fixtures/flow-worker.mjs');

interface Span {
  key: string;
  id: string;
  start: number;
  end: number;
  pid: string;
}

function spansOf(lines: string[]): Span[] {
  const starts = new Map<string, { key: string; at: number; pid: string }>();
  const spans: Span[] = [];
  for (const line of lines) {
    const [what, key, id, at, pid] = line.split(' ');
    if (what === 'start') starts.set(`${id} ${pid}`, { key, at: Number(at), pid });
    else {
      const s = starts.get(`${id} ${pid}`);
      if (s) spans.push({ key, id, start: s.at, end: Number(at), pid });
    }
  }
  return spans;
}

/** Most spans of `key` open at one instant. */
function peak(spans: Span[], key?: string): number {
  const edges = spans
    .filter((s) => key === undefined || s.key === key)
    .flatMap((s) => [
      [s.start, 1],
      [s.end, -1],
    ])
    // At one instant an end comes before a start: a slot handed on is not two runs at once.
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (open += d));
  return most;
}

export function flowProcessSuite({ name, url, cleanup }: FlowProcessSuiteOptions): void {
  describe(`flow control across worker processes on ${name}`, () => {
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

    async function setup(extra: NodeJS.ProcessEnv = {}) {
      const namespace = `flowp_${process.pid}_${Date.now().toString(36)}`;
      namespaces.push(namespace);
      const dir = mkdtempSync(join(tmpdir(), 'eventide-flow-'));
      dirs.push(dir);
      const log = join(dir, 'runs.log');
      const env = { ...process.env, EVENTIDE_TRANSPORT: url, EVENTIDE_NAMESPACE: namespace, EVENTIDE_LOG: log, ...extra };
      const producer = createRuntime({ transport: url, namespace, worker: false, logger: silentLogger });
      runtimes.push(producer);
      await producer.start();
      const succeeded = async () => (await producer.listRuns({ status: 'succeeded', limit: 1_000 })).length;
      return { env, log, producer, succeeded };
    }

    it('never runs more than the limit per key across two processes; keys overlap', async () => {
      const { env, log, producer, succeeded } = await setup({ LIMIT: '2' });
      await Promise.all([startWorker(script, env, children), startWorker(script, env, children)]);
      await producer.send(Array.from({ length: 24 }, (_, i) => ({ name: 'job/limited', data: { k: i % 2 ? 'A' : 'B', ms: 150 } })));
      await until(async () => (await succeeded()) === 24, 60_000, 'all 24 runs to succeed');
      const spans = spansOf(linesOf(log));
      expect(spans).toHaveLength(24);
      expect(peak(spans, 'A')).toBe(2);
      expect(peak(spans, 'B')).toBe(2);
      expect(peak(spans)).toBeGreaterThan(2);
      expect(new Set(spans.map((s) => s.pid)).size).toBe(2);
    }, 90_000);

    it('gives the slot of a killed holder back within the ack wait', async () => {
      const { env, log, producer, succeeded } = await setup({ LIMIT: '1', ACK_WAIT_MS: '1500' });
      const first = await startWorker(script, env, children);
      await producer.send({ name: 'job/limited', data: { k: 'K', ms: 60_000 } });
      await until(() => linesOf(log).length === 1, 15_000, 'the slow run to start');
      await startWorker(script, env, children);
      await producer.send({ name: 'job/limited', data: { k: 'K', ms: 10 } });
      await until(async () => (await producer.listRuns({ status: 'waiting' })).length === 1, 15_000, 'the second run to wait');
      const killedAt = Date.now();
      first.kill('SIGKILL');
      await until(async () => (await succeeded()) === 2, 30_000, 'both runs to succeed on the survivor');
      const afterKill = spansOf(linesOf(log)).filter((s) => s.start >= killedAt);
      expect(afterKill).toHaveLength(2);
      // Within the ack wait (plus a heartbeat's slack and the run's own redelivery), not a lease of minutes.
      expect(Math.min(...afterKill.map((s) => s.start)) - killedAt).toBeLessThan(1_500 + 2_500);
      expect(peak(spansOf(linesOf(log)).filter((s) => s.start >= killedAt))).toBe(1);
    }, 90_000);

    it('puts every event in exactly one batch across two processes, one of them killed mid-stream', async () => {
      const { env, log, producer } = await setup();
      const first = await startWorker(script, env, children);
      await startWorker(script, env, children);
      const sent: string[] = [];
      for (let i = 0; i < 20; i++) {
        const { ids } = await producer.send(Array.from({ length: 10 }, (_, n) => ({ name: 'job/batched', data: { n: i * 10 + n } })));
        sent.push(...ids);
        if (i === 8) first.kill('SIGKILL');
        await new Promise((r) => setTimeout(r, 30));
      }
      const ranIds = () =>
        linesOf(log)
          .filter((l) => l.startsWith('batch '))
          .flatMap((l) => l.split(' ')[1].split(','));
      await until(() => new Set(ranIds()).size === sent.length, 60_000, 'every event to run in a batch');
      const batches = linesOf(log).filter((l) => l.startsWith('batch '));
      for (const b of batches) expect(b.split(' ')[1].split(',').length).toBeLessThanOrEqual(10);
      expect(new Set(ranIds())).toEqual(new Set(sent));
      // A batch cut short by the kill runs again whole (same run id, same events): no event lands in two different batches.
      const byEvent = new Map<string, string>();
      for (const b of batches) {
        const members = b.split(' ')[1];
        for (const id of members.split(',')) {
          expect(byEvent.get(id) ?? members).toBe(members);
          byEvent.set(id, members);
        }
      }
    }, 90_000);

    it('loses no parked run when its worker stops; another worker runs them all', async () => {
      const { env, producer, succeeded } = await setup({ LIMIT: '1' });
      const first = await startWorker(script, env, children);
      await producer.send(Array.from({ length: 6 }, () => ({ name: 'job/limited', data: { k: 'K', ms: 300 } })));
      await until(async () => (await producer.listRuns({ status: 'waiting' })).length >= 3, 15_000, 'runs to park');
      first.kill('SIGTERM');
      await until(() => first.exitCode !== null, 15_000, 'the first worker to exit');
      expect(first.exitCode).toBe(0);
      await startWorker(script, env, children);
      await until(async () => (await succeeded()) === 6, 60_000, 'all 6 runs to succeed');
    }, 90_000);
  });
}
