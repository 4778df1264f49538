/**
 * @module
 * Child processes of the suite: one-shot measurement cases (`worker.js`,
 * one JSON result on stdout) and long-lived HTTP servers (the signup service
 * and the third-party services, which print `LISTENING <port>` once ready).
 * Children are always compiled JS next to this file in dist/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CaseSpec } from './case-spec.js';

export const benchDir = fileURLToPath(new URL('..', import.meta.url));

/** Set in a child's environment by the suite, so the child knows its stdin is the suite's pipe. */
const childMarker = 'EVENTIDE_BENCH_CHILD';
const childEnv = { ...process.env, [childMarker]: '1' };

/** Children still running, so an interrupted run can end them. */
const live = new Set<ChildProcess>();
function track<C extends ChildProcess>(child: C): C {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/**
 * Called first by every child: its stdin is a pipe from the suite, which
 * closes however the suite ends (a crash, a kill, a closed terminal pipe), so
 * a child never outlives it holding ports, queues and CPU.
 */
export function exitWithParent(): void {
  // Only under the suite: run by hand, stdin may be a terminal or /dev/null.
  if (process.env[childMarker] !== '1') return;
  const stdin = process.stdin;
  stdin.once('end', () => process.exit(1));
  stdin.once('error', () => process.exit(1));
  stdin.resume();
  // Watching stdin must not keep a child alive that is done.
  (stdin as unknown as { unref?: () => void }).unref?.();
}

/** Ends every child this process started (SIGKILL: used on Ctrl-C). */
export function killChildren(): void {
  for (const child of live) child.kill('SIGKILL');
}
const resultMarker = '@@result ';

export interface CaseOutput<R = unknown> {
  result: R;
  /** Peak resident set size of the child, in bytes (getrusage maxrss). */
  peakRssBytes: number;
  seconds: number;
}

/** Runs one measurement case in a fresh `node` and returns what it printed. */
export function runCase<R = unknown>(
  spec: CaseSpec,
  options: { exposeGc?: boolean; timeoutMs?: number; onLine?: (line: string) => void } = {},
): Promise<CaseOutput<R>> {
  const args = [...(options.exposeGc ? ['--expose-gc'] : []), `${benchDir}worker.js`, JSON.stringify(spec)];
  return new Promise((resolve, reject) => {
    const child = track(spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv }));
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (options.onLine) for (const line of d.split('\n')) if (line.trim()) options.onLine(line);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`case ${spec.case} did not finish within ${options.timeoutMs} ms`));
    }, options.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(resultMarker));
      if (code !== 0 || !line) {
        reject(
          new Error(
            `case ${spec.case} exited with ${code}: ${(stderr.trim().split('\n').slice(-3).join(' | ') || 'no output').slice(0, 500)}`,
          ),
        );
        return;
      }
      resolve(JSON.parse(line.slice(resultMarker.length)) as CaseOutput<R>);
    });
  });
}

/** Prints a case's result the way `runCase` reads it. */
export function printResult(output: CaseOutput): void {
  process.stdout.write(`${resultMarker}${JSON.stringify(output)}\n`);
}

export interface Server {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `bench/<script>.js` with a JSON config and waits for `LISTENING <port>`. */
export function startServer(
  script: string,
  config: unknown,
  options: { timeoutMs?: number; onLine?: (line: string) => void } = {},
): Promise<Server> {
  const child = track(
    spawn(process.execPath, [`${benchDir}${script}.js`, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv }),
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start within ${options.timeoutMs ?? 20_000} ms: ${err.trim().slice(-300)}`));
    }, options.timeoutMs ?? 20_000);
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (err.length > 20_000) err = err.slice(-10_000);
      if (options.onLine) for (const line of d.split('\n')) if (line.trim()) options.onLine(line);
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        const port = Number(m[1]);
        resolve({
          url: `http://127.0.0.1:${port}`,
          port,
          child,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
              child.once('exit', () => {
                clearTimeout(kill);
                done();
              });
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before listening: ${err.trim().slice(-500)}`));
    });
  });
}

/** Tiny JSON-over-HTTP client for talking to the children. */
export async function httpJson<T = unknown>(url: string, body?: unknown): Promise<T> {
  const res = await fetch(
    url,
    body === undefined ? undefined : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  );
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  return (await res.json()) as T;
}
