/** Runs stored without a listing (by an older eventide) are listed once by the first worker that starts. */
import { expect, it } from 'vitest';
import { createRuntime, defineFunction, silentLogger, systemClock } from '../../index.js';
import { encodeRecord } from '../../core/codec/record.js';
import { runKey } from '../../core/run-record.js';
import { persistedSnapshot } from '../../core/run-machine.js';
import type { RunRecord } from '../../core/types.js';
import { createMemoryTransport, MemoryHub } from '../../transports/memory/index.js';
import { until } from '../conformance/transport.suite.js';

const older = (i: number): RunRecord => ({
  id: `run_older${i}`,
  functionId: 'older',
  eventId: `evt_older${i}`,
  event: { id: `evt_older${i}`, name: 'older/thing', data: { i }, ts: 1_000 + i },
  status: i % 2 ? 'failed' : 'succeeded',
  attempt: 1,
  steps: {},
  logs: [],
  logsDropped: 0,
  createdAt: 1_000 + i,
  updatedAt: 1_000 + i,
  endedAt: 1_000 + i,
  machine: persistedSnapshot(i % 2 ? 'failed' : 'succeeded'),
});

it('lists the runs an older eventide stored without listings, once, and leaves them as they were', async () => {
  const hub = new MemoryHub(systemClock);
  const t = createMemoryTransport({ hub, namespace: 'older' });
  await t.connect();
  for (let i = 0; i < 5; i++) await t.store.create(runKey(older(i).id), encodeRecord(older(i)));
  expect(await t.indexes.page('all', 10)).toEqual([]);

  const fn = defineFunction({ id: 'older', trigger: { event: 'older/thing' } }, async () => 'ok');
  const rt = createRuntime({ transport: createMemoryTransport({ hub, namespace: 'older' }), functions: [fn], logger: silentLogger });
  await rt.start();
  try {
    await until(async () => (await rt.listRuns()).length === 5, 5_000, 'the older runs to be listed');
    const failed = await rt.listRuns({ functionId: 'older', status: 'failed' });
    expect(failed.map((r) => r.id)).toEqual(['run_older3', 'run_older1']);
    expect(failed[0]).toEqual(older(3));
    // A second worker finds the namespace done and rewrites nothing.
    const before = (await t.store.get(runKey('run_older0')))?.revision;
    const second = createRuntime({ transport: createMemoryTransport({ hub, namespace: 'older' }), functions: [fn], logger: silentLogger });
    await second.start();
    await second.stop({ timeoutMs: 100 });
    expect((await t.store.get(runKey('run_older0')))?.revision).toBe(before);
  } finally {
    await rt.stop({ timeoutMs: 1_000 });
  }
});
