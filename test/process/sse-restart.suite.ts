/**
 * SSE across a restart of the server process: a client reads `/stream` from
 * a server process (a runtime that runs no function, and the HTTP handler),
 * the process is killed, another runtime makes changes meanwhile, a new
 * server process starts, and the client reconnects with its Last-Event-ID:
 * it gets every change made while no server ran, then live ones, with no
 * reset. The position lives on the transport, so this holds on every
 * durable one.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineFunction, silentLogger, type Runtime } from '../../index.js';
import { openStream } from '../adapters/adapter.suite.js';
import { until } from '../conformance/transport.suite.js';

export interface SseRestartOptions {
  name: string;
  /** A transport URL every process can open. */
  url: string;
  cleanup?: (namespace: string) => Promise<void>;
}

const script = new URL('../fixtures/sse-server.mjs', import.meta.url).pathname;
const TOKEN = 'sse-restart-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let counter = 0;

const job = defineFunction({ id: 'sse-job', trigger: { event: 'job/go' } }, async ({ step }) => {
  await step.run('work', () => 'done');
});

export function sseRestartSuite({ name, url, cleanup }: SseRestartOptions): void {
  describe(`SSE across a server restart on ${name}`, () => {
    const children: ChildProcess[] = [];
    const runtimes: Runtime[] = [];
    const namespaces: string[] = [];
    afterEach(async () => {
      for (const c of children.splice(0)) c.kill('SIGKILL');
      for (const rt of runtimes.splice(0)) await rt.stop({ timeoutMs: 1_000 });
      if (cleanup) for (const n of namespaces.splice(0)) await cleanup(n);
    });

    /** Forks a server process; resolves with its base URL once it listens (one that does not within 20 s is killed). */
    function server(namespace: string): Promise<{ base: string; child: ChildProcess }> {
      const env = { ...process.env, EVENTIDE_TRANSPORT: url, EVENTIDE_NAMESPACE: namespace, EVENTIDE_TOKEN: TOKEN };
      const child = fork(script, [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error('the server process did not listen within 20 s'));
        }, 20_000);
        child.once('message', (m: { port: number }) => {
          clearTimeout(timer);
          resolve({ base: `http://127.0.0.1:${m.port}`, child });
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`the server process exited with ${code} before it listened`));
        });
      });
    }

    it('a client that reconnects with Last-Event-ID to a restarted server gets every change made meanwhile', async () => {
      const namespace = `sse_${process.pid}_${Date.now().toString(36)}_${counter++}`;
      namespaces.push(namespace);
      const worker = createRuntime({ transport: url, namespace, functions: [job], logger: silentLogger, ackWaitMs: 5_000 });
      runtimes.push(worker);
      await worker.start();

      const one = await server(namespace);
      const s1 = openStream(one.base, `${one.base}/eventide/stream`, auth);
      await until(() => s1.frames.some((f) => f.event === 'hello'), 10_000, 'hello');
      await worker.send([1, 2].map((n) => ({ name: 'job/go', data: { n } })));
      await until(() => s1.runs().filter((r) => r.change.to === 'succeeded').length === 2, 20_000, 'two runs live');
      const lastId = s1.frames.filter((f) => f.id !== undefined).at(-1)?.id as string;
      s1.close();
      one.child.kill('SIGKILL');
      await new Promise((r) => one.child.once('exit', r));

      // No server runs: three runs start and end.
      await worker.send([3, 4, 5].map((n) => ({ name: 'job/go', data: { n } })));
      await until(async () => (await worker.listRuns()).filter((r) => r.status === 'succeeded').length === 5, 20_000, 'five runs');

      const two = await server(namespace);
      const s2 = openStream(two.base, `${two.base}/eventide/stream`, { ...auth, 'last-event-id': lastId });
      await until(() => s2.runs().filter((r) => r.change.to === 'succeeded').length === 3, 20_000, 'the three runs made meanwhile');
      await worker.send({ name: 'job/go', data: { n: 6 } });
      await until(() => s2.runs().filter((r) => r.change.to === 'succeeded').length === 4, 20_000, 'a live one');
      s2.close();

      expect(s2.frames.some((f) => f.event === 'reset' || f.event === 'hello')).toBe(false);
      const seen = new Map<string, string[]>();
      for (const { change } of [...s1.runs(), ...s2.runs()]) seen.set(change.runId, [...(seen.get(change.runId) ?? []), change.to]);
      const runs = await worker.listRuns({ limit: 100 });
      expect(runs).toHaveLength(6);
      for (const r of runs) expect(seen.get(r.id), r.id).toEqual(['running', 'succeeded']);
    });
  });
}
