/**
 * What the property tests generate: values the "Values that travel" rule
 * lets through (core/codec/values.ts), values it refuses, and whole `send`
 * inputs built from both; and the comparison that says whether what arrived
 * is what was sent.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';

/** How many cases a property runs: `EVENTIDE_PROPERTY_RUNS` (the nightly-sized run sets it), else `fallback`. */
export function propertyRuns(fallback: number): number {
  const raw = process.env.EVENTIDE_PROPERTY_RUNS;
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`EVENTIDE_PROPERTY_RUNS must be a whole number ≥ 1, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * fast-check's parameters for a run that must end within `timeLimitMs`: past it the run stops and fails,
 * with the smallest counterexample found so far. Each case of the transport properties may wait seconds
 * for a delivery, so shrinking a failure through hundreds of cases could otherwise outlast any timeout
 * and be reported as a bare timeout. `EVENTIDE_PROPERTY_SEED` replays a failure a report printed.
 */
export function runParameters<T>(numRuns: number, timeLimitMs: number): fc.Parameters<T> {
  const seed = process.env.EVENTIDE_PROPERTY_SEED;
  return { numRuns, interruptAfterTimeLimit: timeLimitMs, markInterruptAsFailure: true, ...(seed ? { seed: Number(seed) } : {}) };
}

/** A test's timeout for a property given `timeLimitMs`: room to clean up after the property stops. */
export const withCleanup = (timeLimitMs: number) => timeLimitMs + 30_000;

// Any UTF-16 code unit, lone surrogates included: fast-check's 'binary' unit makes whole code points only.
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u));
const anyUnits = (maxLength: number) => fc.string({ maxLength, unit: codeUnit });

/** Text with at least one lone surrogate, which UTF-8 cannot carry. */
const loneSurrogateText = fc
  .tuple(anyUnits(3), fc.integer({ min: 0xd800, max: 0xdfff }), anyUnits(3))
  .map(([a, half, b]) => `${a}${String.fromCharCode(half)}${b}`)
  .filter((t) => /\p{Surrogate}/u.test(t));

// Keys the codec or the platform treat specially, mixed in so they come up in every run and not once in a million.
const key = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 4, unit: 'binary' }) },
  { weight: 2, arbitrary: fc.constantFrom('', 'constructor', 'toString', 'then', 'length', '0', '-1', 'v', 'event', '__proto_') },
);

const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12, unit: 'grapheme' }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6, unit: 'binary' }) },
);

const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53, 2 ** 64, -(2 ** 31), 2 ** 32),
);

const typedArray = fc.oneof(
  fc.uint8Array({ maxLength: 8 }),
  fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
  fc.int8Array({ maxLength: 4 }),
  fc.uint8ClampedArray({ maxLength: 4 }),
  fc.int16Array({ maxLength: 4 }),
  fc.uint16Array({ maxLength: 4 }),
  fc.int32Array({ maxLength: 4 }),
  fc.uint32Array({ maxLength: 4 }),
  fc.float32Array({ maxLength: 4 }),
  fc.float64Array({ maxLength: 4 }),
  fc.bigInt64Array({ maxLength: 3 }),
  fc.bigUint64Array({ maxLength: 3 }),
  // A view into a larger buffer: only its own bytes may travel.
  fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 12 }), fc.nat(3)).map(([a, at]) => new Uint8Array(a.buffer, at, a.length - at)),
  fc.uint8Array({ maxLength: 8 }).map((a) => a.slice().buffer),
);

/** An object made by defining each entry, so that `__proto__` becomes an own key, as JSON.parse makes it. */
function objectOf(entries: [string, unknown][], bare: boolean): Record<string, unknown> {
  const o = (bare ? Object.create(null) : {}) as Record<string, unknown>;
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/** Values the rule says travel as they are (at any depth). */
export const travelling: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown; leaf: unknown }>((tie) => ({
  leaf: fc.oneof(fc.constant(null), fc.boolean(), text, number, fc.bigInt({ min: -(2n ** 130n), max: 2n ** 130n }), fc.date(), typedArray),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: tie('leaf') },
    fc.array(tie('value'), { maxLength: 5 }),
    fc.sparseArray(tie('leaf'), { maxLength: 5 }),
    fc
      .tuple(fc.array(fc.tuple(key, fc.oneof(tie('value'), fc.constant(undefined))), { maxLength: 5 }), fc.boolean())
      .map(([e, bare]) => objectOf(e, bare)),
    fc.array(tie('leaf'), { maxLength: 4 }).map((items) => new Set(items)),
  ),
})).value;

class Money {
  cents = 5;
}

/** Values that cannot arrive as they were sent, alone or inside travelling data. */
const refusedLeaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(new Map([['a', 1]])),
  fc.constant(new Money()),
  fc.constant(new Error('boom')),
  fc.constant(/re/g),
  fc.constant(() => 1),
  fc.constant(Symbol('s')),
  fc.constant(new WeakMap()),
  fc.constant(Promise.resolve(1)),
  fc.constant(new URL('https://example.com')),
  fc.constant(Object(1) as unknown),
  fc.constant({ [Symbol('k')]: 1 }),
  loneSurrogateText,
  loneSurrogateText.map((k) => objectOf([[k, 1]], false)),
  fc.constant(JSON.parse('{"__proto__": {"admin": true}}') as unknown),
  fc.constant(
    (() => {
      const cycle: Record<string, unknown> = {};
      cycle.self = { back: cycle };
      return cycle;
    })(),
  ),
);

/** Travelling data with something refused somewhere inside (or at the top). */
const tainted: fc.Arbitrary<unknown> = fc.oneof(
  refusedLeaf,
  fc.tuple(key, refusedLeaf).map(([k, bad]) => objectOf([[k, bad]], false)),
  fc.tuple(fc.array(travelling, { maxLength: 3 }), refusedLeaf, fc.nat()).map(([items, bad, at]) => {
    const out = [...items];
    out.splice(at % (out.length + 1), 0, bad);
    return out;
  }),
  fc.tuple(travelling, refusedLeaf).map(([ok, bad]) => ({ ok, nested: { deeper: [bad] } })),
);

/** What `send` is given for one event, and whether the rule says it must be accepted. */
export interface SendCase {
  input: unknown;
  /** Everything in it is allowed: a refusal is a failure. `false`: either answer may be right, but only a typed one. */
  valid: boolean;
}

const goodName = fc.oneof(
  fc.constantFrom('user/created', 'a', 'order.paid', 'with space', 'x*', '>', '.', 'émoji 🚀', 'a.b.c', 'tab\tname'),
  fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((s) => s.trim().length > 0),
);
const badName = fc.oneof(
  fc.constantFrom('', ' ', '\n\t', undefined, null, 42, {}, ['a'], Symbol('n')),
  fc.string({ maxLength: 3 }).map((s) => s.replace(/\S/g, ' ')),
);
// A test makes each given id unique (see `uniqueId`), or dedup would rightly drop a repeat; 20 graphemes stay under 256 code units.
const goodId = fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' });
const badId = fc.oneof(fc.constantFrom('', 5, null, {}, true), fc.constant('x'.repeat(257)));
// Times up to now only: a future ts delays delivery until then (the intake cases test that), which a property cannot wait for.
const goodTs = fc.oneof(
  fc.integer({ min: 0, max: 1_700_000_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true, max: 1_700_000_000_000 }),
);
const badTs = fc.constantFrom(NaN, Infinity, -Infinity, '1700000000000', null, {}, 10n);

const validEvent: fc.Arbitrary<SendCase> = fc
  .record({ name: goodName, data: fc.oneof(travelling, fc.constant(undefined)), id: goodId, ts: goodTs }, { requiredKeys: ['name'] })
  .map((input) => ({ input, valid: true }));

// Each part of an event may be wrong on its own, so that one wrong part is not hidden behind another.
const doubtfulEvent: fc.Arbitrary<SendCase> = fc
  .record(
    {
      name: fc.oneof({ weight: 3, arbitrary: goodName }, badName, anyUnits(4)),
      data: fc.oneof(
        travelling,
        tainted,
        fc.anything({
          withMap: true,
          withSet: true,
          withBigInt: true,
          withDate: true,
          withTypedArray: true,
          withNullPrototype: true,
          withBoxedValues: true,
          withSparseArray: true,
          maxDepth: 2,
        }),
      ),
      id: fc.oneof({ weight: 3, arbitrary: goodId }, badId, anyUnits(4)),
      ts: fc.oneof({ weight: 3, arbitrary: goodTs }, badTs),
    },
    { requiredKeys: [] },
  )
  .map((input) => ({ input, valid: false }));

/**
 * The case with its id (when it has a usable one) prefixed by `tag`, unique per send: fast-check reuses
 * generated values while it shrinks, and a repeated id is deduplicated, as it should be.
 */
export function uniqueId(c: SendCase, tag: string): SendCase {
  const input = c.input as { id?: unknown } | null;
  if (!input || typeof input !== 'object' || typeof input.id !== 'string' || input.id.length === 0) return c;
  const id = `${tag}~${input.id}`;
  return id.length > 256 ? c : { ...c, input: { ...input, id } };
}

/** The runtime's `maxEventBytes` in these tests: low, so an event over it is quick to make. */
export const maxEventBytes = 16_384;

// Over maxEventBytes once encoded: refused with TOO_LARGE.
const oversized: fc.Arbitrary<SendCase> = fc
  .integer({ min: maxEventBytes, max: maxEventBytes * 2 })
  .map((n) => ({ input: { name: 'big/one', data: { blob: 'x'.repeat(n) } }, valid: false }));

const notAnEvent: fc.Arbitrary<SendCase> = fc
  .constantFrom(null, undefined, 0, 'user/created', true, Symbol('e'), () => 1)
  .map((input) => ({ input, valid: false }));

/** One `send` input: mostly valid events, the rest anything a caller could pass. */
export const sendCase: fc.Arbitrary<SendCase> = fc.oneof(
  { weight: 50, arbitrary: validEvent },
  { weight: 40, arbitrary: doubtfulEvent },
  { weight: 5, arbitrary: notAnEvent },
  { weight: 1, arbitrary: oversized },
);

/**
 * A value in a form `isDeepStrictEqual` compares as the rule means "arrives
 * as it was": a null-prototype object as the plain object it arrives as,
 * `-0` as `0`, an array's hole as `undefined`, an invalid Date as equal to
 * another, a byte view by its own bytes.
 */
export function canonical(value: unknown): unknown {
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return { Date: String(value.getTime()) };
  if (value instanceof ArrayBuffer) return { ArrayBuffer: Buffer.from(value).toString('hex') };
  if (ArrayBuffer.isView(value)) {
    const kind = Buffer.isBuffer(value) ? 'Buffer' : value.constructor.name;
    return { [kind]: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') };
  }
  if (value instanceof Set) return { Set: [...value].map(canonical) };
  if (Array.isArray(value)) return Array.from(value, canonical);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value))
    Object.defineProperty(out, k, { value: canonical((value as Record<string, unknown>)[k]), enumerable: true });
  return out;
}

export function sameValue(sent: unknown, received: unknown): boolean {
  return isDeepStrictEqual(canonical(sent), canonical(received));
}
