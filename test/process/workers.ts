/** Worker processes for the process suites: forked from a fixture, ready when they say so, killed after the test whatever happens. */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Forks `script` and resolves once it is ready; one not ready within `timeoutMs` is killed and fails the test. */
export function startWorker(script: string, env: NodeJS.ProcessEnv, children: ChildProcess[], timeoutMs = 20_000): Promise<ChildProcess> {
  const child = fork(script, [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`worker was not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('message', () => {
      clearTimeout(timer);
      resolve(child);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before it was ready`));
    });
  });
}

/** The lines a worker appended to `file`, or none when it has not written yet. */
export function linesOf(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
