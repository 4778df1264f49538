/** redis-server processes of the suite's own, on 127.0.0.1. */
import { requireExecutable, redisServer } from './executables.js';
import { redisAnswersAs } from './probes.js';
import { startServer, type ServerProcess } from './server-process.js';

/** Starts redis-server on `port` with `args` added, and resolves once it answers PING. */
export function startRedis(port: number, args: string[], timeoutMs?: number): Promise<ServerProcess> {
  return startServer({
    what: `redis-server on 127.0.0.1:${port}`,
    command: requireExecutable(redisServer),
    args: ['--port', String(port), '--bind', '127.0.0.1', ...args],
    answers: (child) => redisAnswersAs(port, child.pid),
    timeoutMs,
  });
}
