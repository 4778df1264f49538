/**
 * @module
 * The gates at event intake measured: send() p50 of an event for a
 * debounced and for a rate-limited function next to a plain one (the gates
 * act where the event is consumed, so send() should not notice them); and
 * a burst of delayed events all due in the same second, from their due time
 * until the last of them started.
 */
import { performance } from 'node:perf_hooks';
import { defineFunction } from '../../index.js';
import { withTimeout, type TransportKind } from './env.js';
import { signupEvent } from './signup-event.js';
import { startRuntime, type Started } from './start-runtime.js';
import { percentile } from './stats.js';

export interface IntakeSendResult extends Record<string, number> {
  plainP50Us: number;
  debouncedP50Us: number;
  rateLimitedP50Us: number;
}

/** `n` sequential sends to each of three runtimes, taken in turn so that all three see the machine alike. */
export async function intakeSendCost(kind: TransportKind, n: number): Promise<IntakeSendResult> {
  const noop = async () => undefined;
  const started: Started[] = [];
  try {
    for (const [tag, fn] of [
      ['ip', defineFunction({ id: 'plain', trigger: { event: 'user/created' } }, noop)],
      [
        'id',
        defineFunction(
          { id: 'debounced', trigger: { event: 'user/created' }, debounce: { period: '1s', key: (e) => String(e.data) } },
          noop,
        ),
      ],
      ['ir', defineFunction({ id: 'rate-limited', trigger: { event: 'user/created' }, rateLimit: { limit: 100, period: '1s' } }, noop)],
    ] as const)
      started.push(await startRuntime(kind, tag, { functions: [fn] }));
    const samples: number[][] = [[], [], []];
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        await started[r].runtime.send(signupEvent(i));
        samples[r].push((performance.now() - t0) * 1000);
      }
    }
    const p50 = (s: number[]) =>
      percentile(
        s.sort((a, b) => a - b),
        50,
      );
    return { plainP50Us: p50(samples[0]), debouncedP50Us: p50(samples[1]), rateLimitedP50Us: p50(samples[2]) };
  } finally {
    for (const s of started) await s.stop();
  }
}

export interface DelayedBurstResult extends Record<string, number> {
  events: number;
  /** From the due time until the first and the last run started, ms (the first must not be early). */
  firstAfterDueMs: number;
  lastAfterDueMs: number;
  /** How long sending them all took, ms. */
  sendMs: number;
}

/** `events` events sent with the same future `ts`; every run is timed against it. */
export async function delayedBurst(kind: TransportKind, events: number, leadMs: number): Promise<DelayedBurstResult> {
  let first = Infinity;
  let last = 0;
  let count = 0;
  let finish = () => {};
  const fn = defineFunction({ id: 'due', trigger: { event: 'reminder/due' } }, async () => {
    const now = Date.now();
    first = Math.min(first, now);
    last = Math.max(last, now);
    if (++count === events) finish();
  });
  const s = await startRuntime(kind, 'dl', { functions: [fn] });
  try {
    const due = Date.now() + leadMs;
    const t0 = performance.now();
    const done = new Promise<void>((r) => (finish = r));
    for (let i = 0; i < events; i += 500)
      await s.runtime.send(
        Array.from({ length: Math.min(500, events - i) }, (_, j) => ({ name: 'reminder/due', data: { n: i + j }, ts: due })),
      );
    const sendMs = performance.now() - t0;
    await withTimeout(done, leadMs + 120_000, `${events} delayed runs on ${kind}`);
    return { events, firstAfterDueMs: first - due, lastAfterDueMs: last - due, sendMs };
  } finally {
    await s.stop();
  }
}
