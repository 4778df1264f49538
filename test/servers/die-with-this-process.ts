/**
 * Servers a test process started must not outlive it: an orphaned
 * redis-server or nats-server keeps its port and memory until someone
 * notices. Stopping them and removing their files is the tests' job
 * (afterAll); this covers a process that ends before that runs, e.g. when
 * vitest is interrupted.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const running = new Set<ChildProcess>();
const dirs = new Set<string>();
let guarding = false;

function cleanUp(): void {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

function guard(): void {
  if (guarding) return;
  guarding = true;
  process.once('exit', cleanUp);
  // vitest ends its workers with SIGTERM, which skips 'exit' handlers. Once the servers are gone the signal
  // is raised again, so that it ends the process as it would have, unless another listener (which this one
  // runs before) is there to handle it.
  process.prependOnceListener('SIGTERM', () => {
    cleanUp();
    if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM');
  });
}

export function dieWithThisProcess(child: ChildProcess): void {
  guard();
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** A temporary directory of a server's, removed with the process if nobody removed it before. */
export function removeWithThisProcess(dir: string): string {
  guard();
  dirs.add(dir);
  return dir;
}
