/** nats-server processes of the suite's own, with JetStream, on 127.0.0.1. */
import { requireExecutable, natsServer } from './executables.js';
import { natsAnswersAs } from './probes.js';
import { startServer, type ServerProcess } from './server-process.js';

/** Starts nats-server -js on `port`, keeping its streams in `storeDir`, and resolves once it greets clients. */
export function startNats(port: number, storeDir: string, timeoutMs?: number): Promise<ServerProcess> {
  // A name of its own, so the probe can tell this server from another that holds the port.
  const name = `eventide-test-${process.pid}-${port}`;
  return startServer({
    what: `nats-server on 127.0.0.1:${port}`,
    command: requireExecutable(natsServer),
    args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, '-n', name],
    answers: () => natsAnswersAs(port, name),
    timeoutMs,
  });
}
