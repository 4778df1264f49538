/**
 * The `eventide` command, run as a child process (the built dist/adapters/cli/index.js)
 * against a namespace that a service runtime in this test process works on: every
 * command, what it prints, its exit code. Each test has its own namespace, removed after.
 */
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineFunction, silentLogger, type Runtime } from '../../index.js';

export const bin = fileURLToPath(new URL('../../dist/adapters/cli/index.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with only the environment given (no EVENTIDE_* leaking in from the shell); killed after `timeoutMs`. */
export function cli(args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const TOKEN = 'cli-test-token-0123456789';

export interface CliSuiteOptions {
  name: string;
  url: string;
  cleanup: (namespace: string) => Promise<void>;
  /** Publishes bytes that are not an event, so that the service dead-letters them. */
  publishRaw: (namespace: string, bytes: Uint8Array) => Promise<void>;
}

export function cliSuite({ name, url, cleanup, publishRaw }: CliSuiteOptions): void {
  describe(`eventide CLI on ${name}`, () => {
    let n = 0;
    const opened: { runtime: Runtime; ns: string }[] = [];
    afterEach(async () => {
      for (const { runtime, ns } of opened.splice(0)) {
        await runtime.stop({ timeoutMs: 1_000 });
        await cleanup(ns);
      }
    });

    /** A service on a fresh namespace: `greet` fails for data.fail, `nap` sleeps an hour. */
    async function service() {
      const ns = `cli_${name}_${process.pid}_${Date.now().toString(36)}_${n++}`;
      const fixed = { value: false };
      const greet = defineFunction({ id: 'greet', trigger: { event: 'user/created' }, retries: 0 }, async ({ event, step, logger }) => {
        const data = event.data as { name: string; fail?: boolean };
        const text = await step.run('hello', () => `hello ${data.name}`);
        logger.info('greeted', { name: data.name });
        if (data.fail && !fixed.value) throw new Error(`no greeting for ${data.name}`);
        return { text };
      });
      const nap = defineFunction({ id: 'nap', trigger: { event: 'nap/start' } }, async ({ step }) => {
        await step.sleep('an-hour', '1h');
      });
      const runtime = createRuntime({ transport: url, namespace: ns, functions: [greet, nap], logger: silentLogger });
      opened.push({ runtime, ns });
      await runtime.start();
      const env = { EVENTIDE_TRANSPORT: url, EVENTIDE_NAMESPACE: ns };
      const ended = (id: string) =>
        waitFor(`run ${id} to end`, async () => {
          const r = await runtime.getRun(id);
          return r && ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
        });
      const runOf = (functionId: string, eventId: string) =>
        waitFor(`the ${functionId} run of ${eventId}`, async () => (await runtime.listRuns({ functionId, eventId }))[0]);
      return { ns, runtime, env, fixed, ended, runOf };
    }

    it('send, runs, run: an event sent by the CLI runs in the service and is shown, as a table and as JSON', async () => {
      const s = await service();
      const sent = await cli(['send', 'user/created', '--data', '{"name":"ann"}'], s.env);
      expect(sent).toMatchObject({ code: 0, stderr: '' });
      const eventId = sent.stdout.trim();
      expect(eventId).toMatch(/^evt_/);
      const run = await s.ended((await s.runOf('greet', eventId)).id);
      expect(run.status).toBe('succeeded');

      // Transport and namespace as options instead of the environment.
      const table = await cli(['runs', '--transport', url, '--namespace', s.ns, '--function', 'greet', '--status', 'succeeded']);
      expect(table.code).toBe(0);
      expect(table.stdout.split('\n')[0]).toMatch(/^RUN\s+FUNCTION\s+STATUS\s+ATTEMPT\s+EVENT\s+CREATED \(UTC\)\s+DURATION$/);
      expect(table.stdout).toContain(run.id);
      expect((await cli(['runs', '--status', 'failed'], s.env)).stdout).toBe(`no runs in namespace "${s.ns}"\n`);

      const listed = JSON.parse((await cli(['runs', '--json', '--limit', '5'], s.env)).stdout);
      expect(listed).toEqual([
        expect.objectContaining({ id: run.id, functionId: 'greet', status: 'succeeded', eventName: 'user/created' }),
      ]);

      const detail = await cli(['run', run.id], s.env);
      expect(detail.code).toBe(0);
      expect(detail.stdout).toMatch(/status\s+succeeded \(attempt 1\)/);
      expect(detail.stdout).toContain('{"name":"ann"}');
      expect(detail.stdout).toMatch(/steps\n\s+hello\s+run\s+succeeded/);
      expect(detail.stdout).toMatch(/logs\n.*info\s+greeted/);
      const asJson = JSON.parse((await cli(['run', run.id, '--json'], s.env)).stdout);
      expect(asJson).toMatchObject({ id: run.id, output: { text: 'hello ann' }, steps: [{ id: 'hello', status: 'succeeded' }] });
      expect(asJson).not.toHaveProperty('machine');

      const missing = await cli(['run', 'run_nope'], s.env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe(`eventide: no run "run_nope" in namespace "${s.ns}"\n`);
    });

    it('send: an event id given twice starts one run; data that is not JSON is a usage error', async () => {
      const s = await service();
      for (let i = 0; i < 2; i++) {
        const r = await cli(['send', 'user/created', '-d', '{"name":"bo"}', '--id', 'signup-42', '--json'], s.env);
        expect(r).toMatchObject({ code: 0, stdout: '{"ids":["signup-42"]}\n' });
      }
      await s.ended((await s.runOf('greet', 'signup-42')).id);
      expect(await s.runtime.listRuns({ eventId: 'signup-42' })).toHaveLength(1);
      const bad = await cli(['send', 'user/created', '--data', '{name'], s.env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^eventide: --data is not JSON: .*\nusage: eventide send <name>/);
    });

    it('replay: failed runs of a function start again in the service, by function, by run id and since a time', async () => {
      const s = await service();
      const first = (await cli(['send', 'user/created', '--data', '{"name":"cy","fail":true}'], s.env)).stdout.trim();
      const failed = await s.ended((await s.runOf('greet', first)).id);
      expect(failed.status).toBe('failed');
      expect((await cli(['runs', '--status', 'failed'], s.env)).stdout).toContain(failed.id);

      s.fixed.value = true; // the fix is shipped
      const replayed = await cli(['replay', '--function', 'greet'], s.env);
      expect(replayed.code).toBe(0);
      expect(replayed.stdout).toMatch(/^1 replay sent; the service's workers run them:\nrun_\S+\n$/);
      const newId = replayed.stdout.trim().split('\n')[1];
      const rerun = await s.ended(newId);
      expect(rerun).toMatchObject({ status: 'succeeded', replayOf: failed.id, output: { text: 'hello cy' } });

      const byId = JSON.parse((await cli(['replay', '--run', failed.id, '--json'], s.env)).stdout);
      expect(byId.ids).toHaveLength(1);
      expect(await s.ended(byId.ids[0])).toMatchObject({ status: 'succeeded', replayOf: failed.id });

      // The first failed run is still failed, but replayed: a replay by function leaves it out, with or without --since.
      expect((await cli(['replay', '--function', 'greet'], s.env)).stdout).toBe('no failed runs to replay\n');
      s.fixed.value = false;
      const second = (await cli(['send', 'user/created', '--data', '{"name":"dee","fail":true}'], s.env)).stdout.trim();
      const failedAgain = await s.ended((await s.runOf('greet', second)).id);
      expect(failedAgain.status).toBe('failed');
      s.fixed.value = true;
      // --since picks a failed run only when it is recent enough.
      expect((await cli(['replay', '--function', 'greet', '--since', '2099-01-01'], s.env)).stdout).toBe('no failed runs to replay\n');
      const recent = JSON.parse((await cli(['replay', '--function', 'greet', '--since', '10m', '--json'], s.env)).stdout);
      expect(recent.ids).toHaveLength(1);
      expect(await s.ended(recent.ids[0])).toMatchObject({ status: 'succeeded', replayOf: failedAgain.id });
      expect((await cli(['replay', '--function', 'greet', '--since', '10m'], s.env)).stdout).toBe('no failed runs to replay\n');

      const usage = await cli(['replay'], s.env);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('replay needs --function <id> or --run <run id>');
      const missing = await cli(['replay', '--run', 'run_nope'], s.env);
      expect(missing).toMatchObject({ code: 1, stderr: 'eventide: no run "run_nope"\n' });
    });

    it('dead-letters: what the service could not read is listed with its reason', async () => {
      const s = await service();
      expect((await cli(['dead-letters'], s.env)).stdout).toBe(`no dead letters in namespace "${s.ns}"\n`);
      await publishRaw(s.ns, new TextEncoder().encode('not an event'));
      const letters = await waitFor('a dead letter', async () => {
        const r = await cli(['dead-letters', '--json'], s.env);
        const list = JSON.parse(r.stdout) as { reason: string; group: string }[];
        return list.length >= 2 ? list : undefined; // one per function: greet and nap
      });
      expect(letters.map((d) => d.group).sort()).toEqual(['greet', 'nap']);
      expect(letters[0].reason).toBeTruthy();
      const table = await cli(['dead-letters', '--limit', '1'], s.env);
      expect(table.stdout).toMatch(/^AT \(UTC\)\s+GROUP\s+EVENT\s+REASON\n.*not an event.*\n$/);
    });

    it('dashboard: serves the API and page for the namespace; lists, cancels and replays without the functions; ends on SIGTERM', async () => {
      const s = await service();
      const child = spawn(process.execPath, [bin, 'dashboard', '--port', '0', '--token', TOKEN], {
        env: { PATH: process.env.PATH ?? '', ...s.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      try {
        let out = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        const base = await waitFor('the dashboard URL', () => /(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1]);
        expect(out).toContain(`eventide dashboard for namespace "${s.ns}"`);
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test reads the fields it asserts
        const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
          const res = await fetch(base + path, {
            method,
            headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(5_000),
          });
          return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text() };
        };
        expect((await call('GET', '/')).body).toContain('<html');
        expect((await fetch(base + '/runs', { signal: AbortSignal.timeout(5_000) })).status).toBe(401);

        const { ids } = await s.runtime.send([
          { name: 'nap/start', data: {} },
          { name: 'user/created', data: { name: 'di', fail: true } },
        ]);
        const napping = await waitFor('the nap to sleep', async () => {
          const r = (await s.runtime.listRuns({ functionId: 'nap', eventId: ids[0] }))[0];
          return r?.status === 'sleeping' ? r : undefined;
        });
        const failed = await s.ended((await s.runOf('greet', ids[1])).id);

        const runs = await call('GET', '/runs?status=failed');
        expect(runs.body.runs.map((r: { id: string }) => r.id)).toEqual([failed.id]);
        // The dashboard's runtime has no functions: it lists those that runs it was asked for (or heard of) name.
        expect((await call('GET', '/runs')).status).toBe(200);
        expect((await call('GET', '/functions')).body).toEqual({ functions: [{ id: 'greet' }, { id: 'nap' }] });
        const cancelled = await call('POST', `/runs/${napping.id}/cancel`);
        expect(cancelled).toMatchObject({ status: 200, body: { run: { id: napping.id, status: 'cancelled' } } });
        expect((await s.runtime.getRun(napping.id))?.status).toBe('cancelled');

        s.fixed.value = true;
        const replay = await call('POST', '/replay', { functionId: 'greet' });
        expect(replay.status).toBe(200);
        expect(await s.ended(replay.body.ids[0])).toMatchObject({ status: 'succeeded', replayOf: failed.id });
        const byRun = await call('POST', '/replay', { runIds: [failed.id] });
        expect(await s.ended(byRun.body.ids[0])).toMatchObject({ status: 'succeeded', replayOf: failed.id });

        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      } finally {
        clearTimeout(kill);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  });
}
