/**
 * A delayed send made before the server is killed -9 and restarted, and
 * before every process stops, runs no earlier than its time, and runs. The
 * NATS and Redis restart tests each call it on a server of their own.
 */
import { expect } from 'vitest';
import { createRuntime, defineFunction, silentLogger } from '../../index.js';
import { sleep } from '../servers/server-process.js';

export interface RestartableServer {
  readonly url: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
}

export async function delayedSendAcrossRestart(server: RestartableServer): Promise<void> {
  const namespace = `delayed_${process.pid}_${Date.now().toString(36)}`;
  const producer = createRuntime({ transport: server.url, namespace, worker: false, logger: silentLogger });
  await producer.start();
  const sentAt = Date.now();
  const { ids } = await producer.send({ name: 'reminder/due', data: {} }, { delay: '2s' });
  await producer.stop();
  await server.kill('SIGKILL');
  await server.start();
  let ranAt = 0;
  const fn = defineFunction({ id: 'remind', trigger: { event: 'reminder/due' } }, async () => {
    ranAt = Date.now();
  });
  const worker = createRuntime({ transport: server.url, namespace, functions: [fn], logger: silentLogger });
  try {
    await worker.start();
    const end = Date.now() + 20_000;
    while (ranAt === 0 && Date.now() < end) await sleep(20);
    expect(ranAt).toBeGreaterThanOrEqual(sentAt + 2_000);
    expect((await worker.listRuns())[0]?.eventId).toBe(ids[0]);
  } finally {
    await worker.stop({ timeoutMs: 500 });
  }
}
