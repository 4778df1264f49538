/**
 * Runs once before any test file. What the suite needs is either there, or
 * started here, or the run stops at once with one line saying what is
 * missing and how to get it: never a hang, never a wall of red tests.
 *
 * - NATS (NATS_URL, else nats://127.0.0.1:4222) and Redis (REDIS_URL, else
 *   redis://127.0.0.1:6379): a plain TCP probe; one that does not answer on
 *   this machine is started here on its URL's port, and stopped after the run.
 * - nats-server and redis-server: some tests start servers of their own
 *   (to kill and restart them, or to form a cluster), so both binaries are
 *   needed even where the shared servers run elsewhere.
 * - Chromium, for the dashboard test.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeWithThisProcess } from '../servers/die-with-this-process.js';
import { chromium, findExecutable, missingLine, natsServer, redisServer } from '../servers/executables.js';
import { startNats } from '../servers/nats-server.js';
import { tcpAnswers } from '../servers/probes.js';
import { startRedis } from '../servers/redis-server.js';
import { stopProcess, type ServerProcess } from '../servers/server-process.js';

interface Service {
  name: string;
  url: string;
  host: string;
  port: number;
  /** Starts the server on `port`, keeping whatever it stores in `dir`. */
  start: (port: number, dir: string) => Promise<ServerProcess>;
}

// The servers here bind 127.0.0.1, which is where clients given these names connect.
const startable = new Set(['127.0.0.1', 'localhost']);

function service(name: string, url: string, scheme: string, defaultPort: number, start: Service['start']): Service {
  // NATS_URL may list several servers; the first is the one the tests reach first.
  const first = url.split(',')[0].trim();
  const parsed = new URL(first.includes('://') ? first : `${scheme}://${first}`);
  return { name, url, host: parsed.hostname, port: Number(parsed.port || defaultPort), start };
}

/**
 * Ends the run with `message` alone. Thrown from here, an error would come
 * with a stack trace and vitest's "No test files found", which misleads.
 */
function endRun(message: string): never {
  process.stderr.write(`\n${message}\n\n`);
  process.exit(1);
}

export default async function setup(): Promise<() => Promise<void>> {
  const services = [
    service('NATS', process.env.NATS_URL ?? 'nats://127.0.0.1:4222', 'nats', 4222, (port, dir) => startNats(port, dir, 15_000)),
    service('Redis', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'redis', 6379, (port, dir) =>
      startRedis(port, ['--save', '', '--appendonly', 'no', '--dir', dir], 15_000),
    ),
  ];
  const answering = await Promise.all(services.map((s) => tcpAnswers(s.host, s.port)));

  const missing = [natsServer, redisServer, chromium].filter((exe) => !findExecutable(exe)).map(missingLine);
  services.forEach((s, i) => {
    if (!answering[i] && !startable.has(s.host))
      missing.push(`nothing answers at ${s.url}, and a server is started only on 127.0.0.1 or localhost`);
  });
  if (missing.length > 0) endRun(`The test suite cannot run: ${missing.join('; ')}.`);

  const started: ChildProcess[] = [];
  const dirs: string[] = [];
  const teardown = async () => {
    await Promise.all(started.splice(0).map((child) => stopProcess(child, 'SIGTERM')));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  };

  const starts = await Promise.allSettled(
    services.map(async (s, i) => {
      if (answering[i]) return;
      // Should vitest end before the teardown, the server and this directory go with it.
      const dir = removeWithThisProcess(mkdtempSync(join(tmpdir(), `eventide-${s.name.toLowerCase()}-`)));
      dirs.push(dir);
      try {
        started.push((await s.start(s.port, dir)).child);
        console.log(`[test setup] nothing answered at ${s.url}: started ${s.name} there for this run`);
      } catch (e) {
        // Someone else may have started it meanwhile; then ours could not bind, and theirs will do.
        if (await tcpAnswers(s.host, s.port)) return;
        throw new Error(`${s.name} does not answer at ${s.url}, and starting it failed: ${(e as Error).message}`, { cause: e });
      }
    }),
  );
  const failed = starts.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (failed.length > 0) {
    await teardown();
    endRun(`The test suite cannot run: ${failed.join('; ')}`);
  }
  return teardown;
}
