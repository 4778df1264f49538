import { describe, expect, it } from 'vitest';
import { compileBackoff, retryDelay } from '../../core/backoff.js';
import { decodeEnvelope } from '../../core/codec/envelope.js';
import { encode } from '../../core/codec/msgpack.js';
import { unserialisableReason } from '../../core/codec/values.js';
import { toMs } from '../../core/duration.js';
import { ConfigError, RetryAfterError, coerceError, serializeError } from '../../core/errors.js';
import { newEventId, runIdFor } from '../../core/ids.js';
import { EventIntake } from '../../core/intake.js';

describe('durations', () => {
  it('reads milliseconds and unit strings', () => {
    expect(toMs(250)).toBe(250);
    expect(toMs('500ms')).toBe(500);
    expect(toMs('30s')).toBe(30_000);
    expect(toMs('5m')).toBe(300_000);
    expect(toMs('1.5h')).toBe(5_400_000);
    expect(toMs('1d')).toBe(86_400_000);
  });
  it('refuses what is not a duration', () => {
    expect(() => toMs('soon')).toThrow(ConfigError);
    expect(() => toMs(-1)).toThrow(/≥ 0/);
    expect(() => toMs(Number.NaN)).toThrow(ConfigError);
  });
});

describe('backoff', () => {
  it('grows exponentially up to the ceiling', () => {
    const d = compileBackoff({ type: 'exponential', delay: 100, maxDelay: 500, jitter: false }, 'f');
    expect([1, 2, 3, 4, 5].map((a) => d(a, new Error()))).toEqual([100, 200, 400, 500, 500]);
  });
  it('keeps a fixed delay, jittered downwards within the fraction', () => {
    const d = compileBackoff({ type: 'fixed', delay: 1000, jitter: 0.5 }, 'f');
    for (let i = 0; i < 50; i++) {
      const v = d(3, new Error());
      expect(v).toBeGreaterThanOrEqual(500);
      expect(v).toBeLessThanOrEqual(1000);
    }
  });
  it('accepts a function of attempt and error', () => {
    const d = compileBackoff((attempt, e) => attempt * 10 + e.message.length, 'f');
    expect(d(2, new Error('abc'))).toBe(23);
  });
  it('lets RetryAfterError choose the delay', () => {
    const d = compileBackoff({ type: 'fixed', delay: 5 }, 'f');
    expect(retryDelay(new RetryAfterError('slow down', '2s'), 1, d, 0)).toBe(2000);
    expect(retryDelay(new RetryAfterError('slow down', new Date(5_000)), 1, d, 1_000)).toBe(4000);
  });
  it('refuses unknown policies', () => {
    expect(() => compileBackoff({ type: 'linear' } as never, 'f')).toThrow(ConfigError);
  });
});

describe('codec', () => {
  it('finds what msgpack cannot carry', () => {
    expect(unserialisableReason({ a: [1, { b: new Date() }], s: new Set([1]), u: new Uint8Array(2) })).toBeUndefined();
    expect(unserialisableReason({ a: [1, { f: () => 1 }] })).toBe('data.a[1].f is a function');
    expect(unserialisableReason({ s: Symbol('x') })).toBe('data.s is a symbol');
    const c: Record<string, unknown> = { x: {} };
    (c.x as Record<string, unknown>).back = c;
    expect(unserialisableReason(c)).toBe('data.x.back is a cycle (refers back to one of its parents)');
    const shared = { n: 1 };
    expect(unserialisableReason({ a: shared, b: shared })).toBeUndefined();
  });
  it("names the path through objects, sets and arrays, and the caller's root", () => {
    expect(unserialisableReason({ m: { k: [0, () => 1] } }, 'output of step "a"')).toBe('output of step "a".m.k[1] is a function');
    expect(unserialisableReason([new Set([Symbol('s')])])).toBe('data[0]{} is a symbol');
    expect(unserialisableReason({ a: { [Symbol('k')]: 1 } })).toBe('data.a has symbol keys');
    expect(unserialisableReason(() => 1, 'the run output')).toBe('the run output is a function');
    for (const plain of [1, 'x', true, null, undefined, 10n]) expect(unserialisableReason(plain)).toBeUndefined();
  });
  it('refuses what would not arrive as it was sent: a Map, an instance of any class but Date, Set and byte arrays', () => {
    class Point {
      x = 1;
    }
    expect(unserialisableReason({ m: new Map([['k', 1]]) })).toMatch(/^data\.m is a Map, which would arrive as a plain object/);
    expect(unserialisableReason({ p: [new Point()] })).toMatch(
      /^data\.p\[0\] is an instance of Point, which would arrive as a plain object without its class/,
    );
    expect(unserialisableReason({ e: new Error('x') })).toMatch(/^data\.e is an instance of Error/);
    expect(unserialisableReason({ r: /x/ })).toMatch(/^data\.r is an instance of RegExp/);
    expect(unserialisableReason(new Set([new Point()]))).toMatch(/^data\{\} is an instance of Point/);
    const bare = Object.create(null) as Record<string, unknown>;
    bare.k = 1;
    expect(
      unserialisableReason({ bare, d: new Date(), b: Buffer.from('x'), f: new Float64Array(1), ab: new ArrayBuffer(1) }),
    ).toBeUndefined();
  });
  it('refuses a lone surrogate in a string or a key, and a key named __proto__: msgpack would change them on the way', () => {
    expect(unserialisableReason('a\ud800')).toMatch(/^data holds a lone surrogate .* U\+FFFD/);
    expect(unserialisableReason({ list: [new Set(['ok', '\udc00'])] })).toMatch(/^data\.list\[0\]\{\} holds a lone surrogate/);
    expect(unserialisableReason({ ['k\ud800']: 1 })).toBe(
      'data["k\\ud800"] is a key that holds a lone surrogate (half of a UTF-16 pair), which would arrive as U+FFFD',
    );
    expect(unserialisableReason(JSON.parse('{"a":{"__proto__":{"admin":true}}}'))).toMatch(
      /^data\.a\.__proto__ is a key named __proto__, which would arrive renamed/,
    );
    // Whole pairs (an emoji) are text like any other.
    expect(unserialisableReason({ ['🚀']: '🚀 naïve', __proto_: 1 })).toBeUndefined();
  });
  it('refuses a lone surrogate in an event name or id at send', () => {
    const intake = new EventIntake([], {}, 1024);
    expect(() => intake.prepare({ name: 'user\ud800', data: {} }, 0, 0)).toThrow(
      expect.objectContaining({ code: 'INVALID_NAME', message: expect.stringContaining('lone surrogate') }),
    );
    expect(() => intake.prepare({ name: 'user', id: '\udfff', data: {} }, 0, 0)).toThrow(expect.objectContaining({ code: 'INVALID_ID' }));
    expect(intake.prepare({ name: 'user 🚀', id: 'id-🚀', data: {} }, 0, 0)).toMatchObject({ name: 'user 🚀', id: 'id-🚀' });
  });
  it('gives a reason for bytes that are not an envelope', () => {
    expect(decodeEnvelope(new TextEncoder().encode('{"oops"'))).toMatch(/envelope|msgpack/);
    expect(decodeEnvelope(encode({ v: 2 }))).toBe('unknown envelope version 2');
    expect(decodeEnvelope(encode({ v: 1, event: { name: 'a', id: 'b' } }))).toBe('event has no timestamp');
    expect(decodeEnvelope(encode({ v: 1, event: { name: 'a', id: 'b', ts: 1, data: {} } }))).toMatchObject({ event: { name: 'a' } });
  });
});

describe('ids and errors', () => {
  it('derives the same run id from the same function and event', () => {
    expect(runIdFor('f', 'e1')).toBe(runIdFor('f', 'e1'));
    expect(runIdFor('f', 'e1')).not.toBe(runIdFor('g', 'e1'));
    expect(runIdFor('f', 'e1')).not.toBe(runIdFor('f', 'e1', 'replay'));
    expect(runIdFor('f', 'e1')).toMatch(/^run_[A-Za-z0-9]{26}$/);
  });
  it('makes time-ordered unique event ids', () => {
    const ids = Array.from({ length: 1000 }, () => newEventId(1_000));
    expect(new Set(ids).size).toBe(1000);
    expect([...ids].sort()).toEqual(ids);
  });
  it('coerces anything thrown into an Error', () => {
    expect(coerceError('text').message).toBe('text');
    expect(coerceError({ message: 'm', name: 'Custom' }).name).toBe('Custom');
    expect(coerceError(42).message).toContain('42');
    expect(serializeError(new RetryAfterError('x', 1))).toMatchObject({ name: 'RetryAfterError', message: 'x' });
  });
});
