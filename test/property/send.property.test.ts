/**
 * Any input to `runtime.send`, on every transport: it is accepted and the
 * handler receives exactly what was sent, or it is refused with an
 * EventValidationError and nothing of it is enqueued. A batch passed as an
 * array is accepted or refused whole.
 *
 * One runtime per transport takes every case (a new one per case would
 * measure connection set-up, not send): each fast-check run sends a few
 * dozen inputs at once, most one by one and the last few as one array
 * (an array is refused whole when one of its events is, so a long one would
 * rarely be accepted).
 * `EVENTIDE_PROPERTY_RUNS` sets the number of inputs per transport.
 */
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRuntime, defineFunction, EventValidationError, silentLogger, type StoredEvent, type TransportOption } from '../../index.js';
import { destroyNamespace as destroyNats } from '../../transports/nats/index.js';
import { destroyNamespace as destroyRedis } from '../../transports/redis/index.js';
import { until } from '../conformance/transport.suite.js';
import {
  canonical,
  maxEventBytes,
  propertyRuns,
  runParameters,
  sameValue,
  withCleanup,
  sendCase,
  uniqueId,
  type SendCase,
} from './arbitraries.js';

const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const transports: { name: string; transport: TransportOption; cleanup?: (namespace: string) => Promise<unknown> }[] = [
  { name: 'memory', transport: 'memory://' },
  { name: 'nats', transport: natsUrl, cleanup: (ns) => destroyNats(natsUrl, ns) },
  { name: 'redis', transport: redisUrl, cleanup: (ns) => destroyRedis(redisUrl, ns) },
];

const inputs = propertyRuns(10_000);
const timeLimitMs = 30_000 + inputs * 20;
const perRun = 50;
const codes = new Set<string>(['INVALID_NAME', 'INVALID_ID', 'NOT_SERIALISABLE', 'TOO_LARGE', 'SCHEMA', 'INVALID_EVENT']);
const show = (value: unknown) => inspect(value, { depth: 6, maxStringLength: 80, breakLength: Infinity });

/** What `send` should have delivered for an accepted event: undefined data is sent as `{}`. */
function expectedEvent(input: SendCase['input'], id: string): { name: unknown; data: unknown; id: string; ts?: unknown } {
  const e = input as { name: unknown; data?: unknown; ts?: unknown };
  return { name: e.name, data: e.data === undefined ? {} : e.data, id, ...(e.ts === undefined ? {} : { ts: e.ts }) };
}

/** The refusal must be typed, and a valid input must not be refused at all. */
function checkRefusal(reason: unknown, cases: SendCase[]): void {
  const typed = reason instanceof EventValidationError && codes.has(reason.code) && reason.message.length > 0;
  if (!typed) throw new Error(`send threw ${show(reason)}, not an EventValidationError, for ${show(cases.map((c) => c.input))}`);
  if (cases.every((c) => c.valid))
    throw new Error(`send refused valid input (${reason.code}: ${reason.message}): ${show(cases.map((c) => c.input))}`);
}

describe('property: send accepts and delivers exactly, or refuses with a typed error and enqueues nothing', () => {
  for (const { name, transport, cleanup } of transports) {
    it(
      `on ${name}: ${inputs} inputs`,
      async () => {
        const namespace = `prop_${process.pid}_${Date.now().toString(36)}_${name}`;
        const received = new Map<string, StoredEvent[]>();
        const all = defineFunction({ id: 'all', trigger: { event: '*' }, retries: 0 }, ({ event }) => {
          const seen = received.get(event.id);
          if (seen) seen.push(event);
          else received.set(event.id, [event]);
        });
        const rt = createRuntime({ transport, namespace, functions: [all], logger: silentLogger, maxEventBytes, concurrency: 200 });
        const expected = new Map<string, ReturnType<typeof expectedEvent>>();
        const tally = { accepted: 0, refused: 0 };
        const started = Date.now();
        let tags = 0;
        await rt.start();
        try {
          await fc.assert(
            fc.asyncProperty(
              fc.array(sendCase, { minLength: perRun, maxLength: perRun }),
              fc.integer({ min: perRun - 8, max: perRun }),
              async (generated, split) => {
                const cases = generated.map((c) => uniqueId(c, (tags++).toString(36)));
                const singles = cases.slice(0, split);
                const batch = cases.slice(split);
                const sends = singles.map((c) => rt.send(c.input as never).then((r) => ({ r, cases: [c] })));
                if (batch.length > 0) sends.push(rt.send(batch.map((c) => c.input) as never).then((r) => ({ r, cases: batch })));
                const settled = await Promise.allSettled(sends);
                const now: string[] = [];
                const refusals: [unknown, SendCase[]][] = [];
                // Every accepted id is recorded before anything is checked, so that a failing run leaves no delivery unexplained.
                settled.forEach((s, i) => {
                  const sent = i < singles.length ? [singles[i]] : batch;
                  if (s.status === 'rejected') {
                    refusals.push([s.reason, sent]);
                    tally.refused += sent.length;
                    return;
                  }
                  s.value.r.ids.forEach((id, k) => {
                    if (k < sent.length) expected.set(id, expectedEvent(sent[k].input, id));
                    now.push(id);
                  });
                  tally.accepted += sent.length;
                  expect(s.value.r.ids).toHaveLength(sent.length);
                });
                for (const [reason, sent] of refusals) checkRefusal(reason, sent);
                await until(() => now.every((id) => received.has(id)), 20_000, `${now.length} accepted events to reach the handler`);
                for (const id of now) {
                  const want = expected.get(id)!;
                  const got = received.get(id)!;
                  if (got.length !== 1) throw new Error(`event ${id} reached the handler ${got.length} times: ${show(want)}`);
                  const { name: gotName, data, ts } = got[0];
                  const same =
                    sameValue(want.name, gotName) && sameValue(want.data, data) && (want.ts === undefined || sameValue(want.ts, ts));
                  if (!same)
                    throw new Error(
                      `event arrived changed:\n  sent     ${show(want)}\n  received ${show(got[0])}\n  (canonical ${show(canonical(want.data))} vs ${show(canonical(data))})`,
                    );
                }
                // A delivery nobody was given an id for came from an input that was refused.
                for (const id of received.keys())
                  if (!expected.has(id)) throw new Error(`a refused input was enqueued anyway: ${show(received.get(id))}`);
              },
            ),
            runParameters(Math.ceil(inputs / perRun), timeLimitMs),
          );
          // A refused input enqueued at the last run would arrive after its check: give it time to show up.
          await new Promise((r) => setTimeout(r, 500));
          const stray = [...received.keys()].filter((id) => !expected.has(id));
          expect(stray).toEqual([]);
          expect(received.size).toBe(tally.accepted);
        } finally {
          await rt.stop({ timeoutMs: 2_000 });
          await cleanup?.(namespace);
        }
        console.info(
          `send property on ${name}: ${tally.accepted + tally.refused} inputs, ${tally.accepted} accepted, ${tally.refused} refused, ${Date.now() - started} ms`,
        );
      },
      withCleanup(timeLimitMs),
    );
  }
});
