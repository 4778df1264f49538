/**
 * A server binary run as a child process: started, waited for until it
 * answers (never longer than a deadline, and no longer than it lives), and
 * stopped with a bounded wait. Whatever goes wrong is reported with the tail
 * of what the server printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dieWithThisProcess } from './die-with-this-process.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server ended before it answered: most often its port was taken between choosing and binding it. */
export class ServerExitedError extends Error {}

export interface ServerOptions {
  /** How errors name it, e.g. "redis-server on 127.0.0.1:6380". */
  what: string;
  command: string;
  args: string[];
  /** Resolves true once the server answers as this very process (not some other server on its port). */
  answers: (child: ChildProcess) => Promise<boolean>;
  timeoutMs?: number;
}

export interface ServerProcess {
  child: ChildProcess;
  /** The last lines the server printed. */
  tail(): string;
}

const TAIL_CHARS = 2_000;

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Starts the server and resolves once it answers; on any failure it is killed before the error is thrown. */
export async function startServer({ what, command, args, answers, timeoutMs = 10_000 }: ServerOptions): Promise<ServerProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  dieWithThisProcess(child);
  let output = '';
  const keep = (chunk: Buffer) => void (output = (output + chunk.toString('utf8')).slice(-TAIL_CHARS));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  // A probe can take up to its own deadline (someone else's server may hold the port and say nothing): an exit cuts it short.
  const ended = new Promise<false>((resolve) => {
    child.once('exit', () => resolve(false));
    child.once('error', () => resolve(false));
  });
  // 'exit' may come before the last of the output: the error waits a little for it, so it can say why.
  const outputEnded = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const tail = () => output.trim().split('\n').slice(-8).join('\n');
  const said = () => (output.trim() ? `:\n${tail()}` : ' (it printed nothing)');
  const server = { child, tail };
  const end = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (spawnError) throw new Error(`${what}: cannot run ${command}: ${spawnError.message}`);
      if (exited(child)) {
        await Promise.race([outputEnded, sleep(500)]);
        throw new ServerExitedError(`${what} exited (${child.exitCode ?? child.signalCode}) before it answered${said()}`);
      }
      if (await Promise.race([answers(child), ended])) return server;
      if (Date.now() > end) throw new Error(`${what} did not answer within ${timeoutMs} ms${said()}`);
      await sleep(25);
    }
  } catch (e) {
    await stopProcess(child);
    throw e;
  }
}

/**
 * Sends `signal` and waits for the exit; a process still there after
 * `timeoutMs` gets SIGKILL, and one that outlives that too is an error
 * rather than a wait without end.
 */
export async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 5_000): Promise<void> {
  if (!child || exited(child) || child.pid === undefined) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const within = (ms: number) => Promise.race([gone.then(() => true), sleep(ms).then(() => exited(child))]);
  child.kill(signal);
  if (await within(timeoutMs)) return;
  child.kill('SIGKILL');
  if (await within(timeoutMs)) return;
  throw new Error(`process ${child.pid} (${child.spawnfile}) did not exit after SIGKILL`);
}
