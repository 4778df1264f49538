/**
 * The soak's quick form (`npm run soak` is the long one): 50,000 events on the memory transport through
 * one worker, heap read after a full GC every half second. Once warm (the store holds as many finished
 * runs as it keeps, and the history is full), the heap must stop growing with the runs.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import { soak, soakSummary, type SoakSample } from '../../bench/lib/soak.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const EVENTS = 50_000;

/** Least-squares slope of heap bytes per finished run. */
function bytesPerRun(samples: SoakSample[]): number {
  const n = samples.length;
  const mx = samples.reduce((a, s) => a + s.done, 0) / n;
  const my = samples.reduce((a, s) => a + s.heapUsed, 0) / n;
  const num = samples.reduce((a, s) => a + (s.done - mx) * (s.heapUsed - my), 0);
  const den = samples.reduce((a, s) => a + (s.done - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

it(`keeps the heap bounded over ${EVENTS.toLocaleString('en-US')} runs on memory once warm`, async () => {
  const result = await soak({
    kind: 'memory',
    url: 'memory://',
    namespace: `soak_${process.pid}_${Date.now().toString(36)}`,
    events: EVENTS,
    sampleMs: 500,
    gc,
    timeoutMs: 90_000,
  });
  // Warm: past the 10,000 finished runs the store keeps and the 10,000 events the history keeps.
  const warm = result.samples.filter((s) => s.done >= 15_000);
  const slope = bytesPerRun(warm);
  console.log(
    `[soak memory quick] ${JSON.stringify({ ...soakSummary(result), warmSamples: warm.length, bytesPerRunAfterWarm: Math.round(slope) })}`,
  );
  expect(result.failed).toBe(0);
  expect(warm.length).toBeGreaterThanOrEqual(3);
  // One map entry kept per run already costs more than this; below it is the noise of when collections happen.
  expect(slope).toBeLessThan(40);
  const first = warm[0].heapUsed;
  expect(Math.max(...warm.map((s) => s.heapUsed))).toBeLessThan(first * 1.25 + 4 * 1048576);
}, 120_000);
