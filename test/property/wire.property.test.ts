/**
 * Whatever lands on the events subject without going through `send` (random
 * bytes, an envelope cut short, msgpack that is not an envelope) is
 * dead-lettered with a reason, and the worker keeps consuming: an event sent
 * after the garbage runs, with its data intact.
 */
import { inspect, isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope } from '../../core/codec/envelope.js';
import { encode } from '../../core/codec/msgpack.js';
import type { DeadLetter, Transport } from '../../core/transport.js';
import { createRuntime, defineFunction, silentLogger, type StoredEvent, type TransportOption } from '../../index.js';
import { createMemoryTransport } from '../../transports/memory/index.js';
import { createNatsTransport, destroyNamespace as destroyNats } from '../../transports/nats/index.js';
import { createRedisTransport, destroyNamespace as destroyRedis } from '../../transports/redis/index.js';
import { until } from '../conformance/transport.suite.js';
import { propertyRuns, runParameters, sameValue, withCleanup, travelling } from './arbitraries.js';

const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const transports: {
  name: string;
  transport: TransportOption;
  raw: (namespace: string) => Transport;
  cleanup?: (namespace: string) => Promise<unknown>;
}[] = [
  { name: 'memory', transport: 'memory://', raw: (namespace) => createMemoryTransport({ namespace }) },
  {
    name: 'nats',
    transport: natsUrl,
    raw: (namespace) => createNatsTransport({ url: natsUrl, namespace }),
    cleanup: (ns) => destroyNats(natsUrl, ns),
  },
  {
    name: 'redis',
    // Redis keeps 10,000 dead letters by default; a nightly-sized run makes more, and counts them all.
    transport: { kind: 'redis', url: redisUrl, maxDeadLetters: 1_000_000 },
    raw: (namespace) => createRedisTransport({ url: redisUrl, namespace }),
    cleanup: (ns) => destroyRedis(redisUrl, ns),
  },
];

// Each garbage message costs a dead letter on the server, so a tenth of the send property's count.
const messages = Math.ceil(propertyRuns(10_000) / 10);
const timeLimitMs = 30_000 + messages * 100;
const perRun = 10;

const anEvent = fc.record({
  name: fc.constantFrom('user/created', 'order.paid', 'a'),
  id: fc.string({ minLength: 1, maxLength: 12 }).map((s) => `id-${s}`),
  ts: fc.nat(),
  data: travelling,
});

/** Bytes that are not an event envelope, each with a word on how they were made (for the failure report). */
const garbage: fc.Arbitrary<{ how: string; bytes: Uint8Array }> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ how: 'random bytes', bytes })),
  fc.tuple(anEvent, fc.nat()).map(([event, cut]) => {
    const whole = encodeEnvelope({ v: 1, event });
    return { how: 'a truncated envelope', bytes: whole.subarray(0, cut % whole.length) };
  }),
  fc.tuple(anEvent, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([event, tail]) => {
    // Valid msgpack followed by more bytes: a reader that stops at the first value would take it for an event.
    const whole = encodeEnvelope({ v: 1, event });
    return { how: 'an envelope with trailing bytes', bytes: Buffer.concat([whole, tail]) };
  }),
  fc
    .anything({ maxDepth: 2 })
    .filter((v) => !(v && typeof v === 'object' && 'v' in v))
    .map((v) => ({ how: 'msgpack that is not an envelope', bytes: encode(v) })),
  fc
    .record({ v: fc.constantFrom(1, 2, '1'), event: fc.anything({ maxDepth: 1 }) })
    .filter((e) => e.v !== 1 || !isEvent(e.event))
    .map((e) => ({ how: 'an envelope with a malformed event', bytes: encode(e) })),
);

function isEvent(e: unknown): boolean {
  const ev = e as Partial<StoredEvent> | null;
  return (
    !!ev &&
    typeof ev === 'object' &&
    typeof ev.name === 'string' &&
    ev.name !== '' &&
    typeof ev.id === 'string' &&
    ev.id !== '' &&
    typeof ev.ts === 'number'
  );
}

describe('property: garbage on the wire is dead-lettered with a reason and the worker goes on', () => {
  for (const { name, transport, raw, cleanup } of transports) {
    it(
      `on ${name}: ${messages} messages`,
      async () => {
        const namespace = `propw_${process.pid}_${Date.now().toString(36)}_${name}`;
        const received = new Map<string, StoredEvent>();
        const fn = defineFunction({ id: 'sturdy', trigger: { event: '*' }, retries: 0 }, ({ event }) => {
          received.set(event.id, event);
        });
        const rt = createRuntime({ transport, namespace, functions: [fn], logger: silentLogger });
        const wire = raw(namespace);
        let published = 0;
        let round = 0;
        const started = Date.now();
        await rt.start();
        await wire.connect();
        try {
          await fc.assert(
            fc.asyncProperty(fc.array(garbage, { minLength: perRun, maxLength: perRun }), anEvent, async (junk, event) => {
              for (const { bytes } of junk) await wire.publish('events', bytes);
              published += junk.length;
              const id = `${(round++).toString(36)}-${event.id}`;
              await rt.send({ ...event, id });
              await until(() => received.has(id), 20_000, 'the event sent after the garbage to run');
              const got = received.get(id)!;
              if (!sameValue(event.data, got.data)) throw new Error(`the event after the garbage arrived changed: ${inspect(got)}`);
              // This run's messages are the newest dead letters, each with the bytes it was published with.
              const want = junk.map((j) => Buffer.from(j.bytes).toString('hex')).sort();
              let letters: DeadLetter[] = [];
              await until(
                async () => {
                  letters = await rt.deadLetters({ limit: junk.length });
                  return isDeepStrictEqual(letters.map((l) => Buffer.from(l.data).toString('hex')).sort(), want);
                },
                20_000,
                `the ${junk.length} malformed messages of this run to be dead-lettered`,
              ).catch((e: unknown) => {
                throw new Error(`not every malformed message was dead-lettered: ${inspect(junk)}`, { cause: e });
              });
              for (const letter of letters) {
                if (letter.group !== 'sturdy' || !/msgpack|envelope|event/.test(letter.reason))
                  throw new Error(`a dead letter without the decoder's reason: ${inspect(letter)}`);
              }
            }),
            runParameters(Math.ceil(messages / perRun), timeLimitMs),
          );
          expect(received.size).toBe(round);
          expect(await rt.deadLetters({ limit: published + 10 })).toHaveLength(published);
        } finally {
          await wire.close();
          await rt.stop({ timeoutMs: 2_000 });
          await cleanup?.(namespace);
        }
        console.info(
          `wire property on ${name}: ${published} malformed messages dead-lettered, ${round} events after them ran, ${Date.now() - started} ms`,
        );
      },
      withCleanup(timeLimitMs),
    );
  }
});
