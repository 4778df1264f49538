/** How run-state changes leave a process: gathered for a few milliseconds, one broadcast per function, with the function as topic. */
import { afterEach, describe, expect, it } from 'vitest';
import { decode } from '../../core/codec/msgpack.js';
import { createRuntime, defineFunction, silentLogger, systemClock, type Runtime, type RunStateChange } from '../../index.js';
import { createMemoryTransport, MemoryHub } from '../../transports/memory/index.js';
import { until } from '../conformance/transport.suite.js';

const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.stop({ timeoutMs: 100 });
});

interface Sent {
  channel: string;
  topic: string | undefined;
  changes: RunStateChange[];
}

/** A memory transport whose broadcasts are recorded as they leave; the runtime's origin prefix is cut off by finding the msgpack array. */
function recording(hub: MemoryHub) {
  const transport = createMemoryTransport({ hub, namespace: 'window' });
  const sent: Sent[] = [];
  const broadcast = transport.broadcast.bind(transport);
  transport.broadcast = (channel: string, data: Uint8Array, topic?: string) => {
    if (channel === 'runs') {
      // The payload is the runtime's origin id (ASCII) followed by a msgpack array (0x90–0x9f, 0xdc or 0xdd).
      const at = data.findIndex((b) => (b >= 0x90 && b <= 0x9f) || b === 0xdc || b === 0xdd);
      sent.push({ channel, topic, changes: decode(data.subarray(at)) as RunStateChange[] });
    }
    return broadcast(channel, data);
  };
  return { transport, sent };
}

describe('run-state broadcasts', () => {
  it('send one broadcast per function per window, addressed to the function, and a watcher elsewhere sees every change', async () => {
    const hub = new MemoryHub(systemClock);
    const { transport, sent } = recording(hub);
    const a = defineFunction({ id: 'welcome', trigger: { event: 'user/created' } }, async ({ step }) => step.run('greet', () => 1));
    const b = defineFunction({ id: 'billing', trigger: { event: 'user/created' } }, async ({ step }) => step.run('charge', () => 2));
    const worker = createRuntime({ transport, functions: [a, b], logger: silentLogger });
    const observer = createRuntime({
      transport: createMemoryTransport({ hub, namespace: 'window' }),
      functions: [],
      worker: false,
      logger: silentLogger,
    });
    runtimes.push(worker, observer);
    const seen: RunStateChange[] = [];
    await observer.start();
    observer.on('run', (c) => seen.push(c));
    await worker.start();
    await worker.send([1, 2, 3].map((i) => ({ name: 'user/created', data: { i } })));
    await until(() => seen.filter((c) => c.to === 'succeeded').length === 6, 5_000, 'six runs heard of elsewhere');
    // Each function's changes travelled under its own topic, and far fewer broadcasts than changes went out.
    for (const s of sent) expect(s.changes.every((c) => c.functionId === s.topic)).toBe(true);
    expect(new Set(sent.map((s) => s.topic))).toEqual(new Set(['welcome', 'billing']));
    const changes = sent.reduce((n, s) => n + s.changes.length, 0);
    expect(changes).toBe(12);
    expect(sent.length).toBeLessThan(changes);
    expect(seen.map((c) => `${c.functionId}:${c.to}`).sort()).toEqual(
      [...Array(3).fill(['billing:running', 'billing:succeeded']), ...Array(3).fill(['welcome:running', 'welcome:succeeded'])]
        .flat()
        .sort(),
    );
  });

  it('sends the changes still in the window when the runtime stops', async () => {
    const hub = new MemoryHub(systemClock);
    const { transport, sent } = recording(hub);
    const fn = defineFunction({ id: 'welcome', trigger: { event: 'user/created' } }, async () => 'done');
    const rt = createRuntime({ transport, functions: [fn], logger: silentLogger });
    await rt.start();
    // Stopped the moment the run ends, well inside the window.
    let stopped: Promise<void> | undefined;
    rt.on('run', (c) => {
      if (c.to === 'succeeded') stopped = rt.stop();
    });
    await rt.send({ name: 'user/created', data: {} });
    await until(() => stopped !== undefined, 5_000, 'the run');
    await stopped;
    expect(sent.flatMap((s) => s.changes.map((c) => c.to))).toEqual(['running', 'succeeded']);
  });
});
