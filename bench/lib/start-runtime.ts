/**
 * @module
 * eventide runtimes for the cases: each on a namespace of its own, removed
 * again when the case stops it.
 */
import { createRuntime, type Runtime } from '../../index.js';
import { createMemoryTransport } from '../../transports/memory/index.js';
import { benchLogger, cleanupNamespace, transportUrl, uniqueNamespace, withTimeout, type TransportKind } from './env.js';

export interface Started {
  runtime: Runtime;
  namespace: string;
  stop: () => Promise<void>;
}

export async function startRuntime(
  kind: TransportKind,
  tag: string,
  options: Omit<Parameters<typeof createRuntime>[0] & object, 'transport' | 'namespace'> = {},
): Promise<Started> {
  const namespace = uniqueNamespace(tag);
  const runtime = createRuntime({ logger: benchLogger, ...options, transport: transportUrl(kind), namespace });
  await withTimeout(runtime.start(), 15_000, `starting a ${kind} runtime`);
  return {
    runtime,
    namespace,
    stop: async () => {
      await runtime.stop({ timeoutMs: 2_000 }).catch(() => undefined);
      await cleanupNamespace(kind, namespace).catch((e) => process.stderr.write(`cleanup of ${namespace} failed: ${String(e)}\n`));
    },
  };
}

/**
 * A producer-only runtime (`worker: false`), as an endpoint's process may
 * be. On memory, a bare consumer group acks every message at once, since the
 * memory transport refuses to pile up messages nobody consumes.
 */
export async function startProducer(kind: TransportKind, tag: string): Promise<Started> {
  const started = await startRuntime(kind, tag, { worker: false });
  if (kind !== 'memory') return started;
  const sinkTransport = createMemoryTransport({ namespace: started.namespace });
  const sink = await sinkTransport.consume(
    'events',
    'sink',
    async (d) => {
      await d.ack();
    },
    { concurrency: 10_000, ackWaitMs: 30_000 },
  );
  return {
    ...started,
    stop: async () => {
      await sink.stop({ timeoutMs: 0 });
      await sinkTransport.close();
      await started.stop();
    },
  };
}
