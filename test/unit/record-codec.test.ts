import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../core/codec/msgpack.js';
import { decodeEnvelope, encodeEnvelope, eventBytesOf } from '../../core/codec/envelope.js';
import { decodeRecord, encodeRecord } from '../../core/codec/record.js';
import { apply, newRecord } from '../../core/run-record.js';
import { fixEncoding, writeFields, writeValue } from '../../core/codec/msgpack-writer.js';
import type { RunRecord } from '../../core/types.js';

/** What msgpackr's own `pack` reads back as, with the top-level undefined fields the writer leaves out. */
function viaMsgpackr(fields: Record<string, unknown>): unknown {
  const out = decode(encode(fields)) as Record<string, unknown>;
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

const strings = [
  '',
  'a',
  'x'.repeat(31),
  'x'.repeat(32),
  'x'.repeat(255),
  'x'.repeat(256),
  'x'.repeat(65_535),
  'x'.repeat(65_536),
  'café',
  'ünïcödé '.repeat(10),
  '😀',
  'a\u0000b',
];
const numbers = [
  0,
  1,
  127,
  128,
  255,
  256,
  65_535,
  65_536,
  2 ** 32 - 1,
  2 ** 32,
  Number.MAX_SAFE_INTEGER,
  -1,
  -32,
  -33,
  -(2 ** 31),
  -(2 ** 53),
  1.5,
  -0.25,
  1e-300,
  Number.NaN,
  Infinity,
  -Infinity,
  1_795_712_440_604,
];

describe('plain-data writer', () => {
  it('reads back as msgpackr would for every size class of string and number', () => {
    for (const s of strings) expect(decode(writeFields({ s }))).toEqual({ s });
    for (const n of numbers) expect(decode(writeFields({ n }))).toEqual({ n });
    expect(Object.is((decode(writeFields({ z: -0 })) as { z: number }).z, 0)).toBe(true);
  });

  it('writes nested objects, arrays and undefined as msgpackr does', () => {
    const value = {
      a: [1, 'two', null, undefined, true, false, [], {}, [[[]]]],
      o: { deep: { deeper: { k: 'v', u: undefined } }, n: null },
      long: Array.from({ length: 70_000 }, (_, i) => i % 300),
      medium: Array.from({ length: 16 }, (_, i) => ({ i })),
      wide: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, i])),
    };
    expect(isDeepStrictEqual(decode(writeFields(value)), viaMsgpackr(value))).toBe(true);
  });

  it('hands what is not plain data to msgpackr (dates, maps, sets, bytes, class instances, null prototypes)', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const bare = Object.create(null) as Record<string, unknown>;
    bare.k = 1;
    const value = {
      d: new Date(1_700_000_000_000),
      m: new Map([['a', 1]]),
      s: new Set([1, 2]),
      b: new Uint8Array([1, 2, 3]),
      p: new Point(1, 2),
      bare,
      big: 2n ** 70n,
    };
    expect(isDeepStrictEqual(decode(writeFields(value)), viaMsgpackr(value))).toBe(true);
  });

  it('leaves nesting past its depth limit to msgpackr', () => {
    let deep: Record<string, unknown> = { leaf: 'x' };
    for (let i = 0; i < 200; i++) deep = { d: deep };
    expect(isDeepStrictEqual(decode(writeFields({ deep })), viaMsgpackr({ deep }))).toBe(true);
  });

  it('leaves out top-level fields that are undefined', () => {
    expect(decode(writeFields({ a: 1, b: undefined, c: 'x' }))).toStrictEqual({ a: 1, c: 'x' });
  });

  it('copies the bytes given for a field, and makes the bytes of a value declared fixed once', () => {
    expect(decode(writeFields({ a: { name: 'real' }, b: 1 }, { a: encode({ name: 'given' }) }))).toEqual({ a: { name: 'given' }, b: 1 });
    const later = { n: 1 };
    fixEncoding(later);
    expect(decode(writeFields({ later }))).toEqual({ later: { n: 1 } });
    later.n = 2; // declared fixed: its first bytes stand
    expect(decode(writeFields({ later }))).toEqual({ later: { n: 1 } });
  });

  it('writes any value on its own as msgpackr does', () => {
    for (const v of [[{ a: 1, e: { name: 'E', message: 'm' } }, { b: undefined }], 'x', 3, null, new Date(5)])
      expect(isDeepStrictEqual(decode(writeValue(v)), decode(encode(v)))).toBe(true);
  });

  it('writes values bigger than its scratch space, and small ones after them', () => {
    const big = { blob: 'b'.repeat(3 << 20), list: Array.from({ length: 5_000 }, (_, i) => ({ i, s: 'x'.repeat(i % 40) })) };
    expect(isDeepStrictEqual(decode(writeFields(big)), viaMsgpackr(big))).toBe(true);
    expect(decode(writeFields({ k: 'small' }))).toEqual({ k: 'small' });
  });

  it('does not share its buffer between results', () => {
    const a = writeFields({ k: 'first' });
    writeFields({ k: 'second, and longer' });
    expect(decode(a)).toEqual({ k: 'first' });
  });
});

describe('records and envelopes', () => {
  const event = {
    name: 'user/created',
    data: { userId: 'usr_1', email: 'ada@example.com', tags: ['a', 'b'], n: 3.5 },
    id: 'evt_1',
    ts: 1_795_712_440_604,
  };

  it('encodes a record so that it decodes to what msgpackr would give, at every stage of a run', () => {
    const record: RunRecord = newRecord('run_1', 'fn', { v: 1, event }, 1_795_712_440_604);
    const stages: RunRecord[] = [];
    record.attempt = 1;
    apply(record, 'START');
    stages.push(structuredClone(record));
    record.steps.work = {
      id: 'work',
      kind: 'run',
      status: 'succeeded',
      attempts: 1,
      startedAt: 1,
      endedAt: 2,
      output: { ok: true, list: [1, 2] },
    };
    record.logs.push({ level: 'info', message: 'hé', at: 3, attempt: 1, fields: { k: 'v' } });
    record.nextAttemptAt = undefined;
    record.error = undefined;
    record.output = { sent: true };
    apply(record, 'SUCCEED');
    record.endedAt = 4;
    stages.push(record);
    for (const r of stages)
      expect(isDeepStrictEqual(decodeRecord(encodeRecord(r)), viaMsgpackr(r as unknown as Record<string, unknown>))).toBe(true);
  });

  it('finds the event inside an envelope it wrote, and nowhere else', () => {
    const bytes = encodeEnvelope({ v: 1, event });
    expect(decodeEnvelope(bytes)).toEqual({ v: 1, event });
    const cut = eventBytesOf(bytes);
    expect(cut && decode(cut)).toEqual(event);
    bytes.fill(0); // the transport's buffer, reused
    expect(cut && decode(cut)).toEqual(event);
    // msgpackr writes a sent event's envelope with the same layout, so older producers' events are cut too.
    expect(eventBytesOf(encode({ v: 1, event }))).toBeDefined();
    expect(eventBytesOf(encodeEnvelope({ v: 1, event, target: { functionId: 'fn', runId: 'run_1' } }))).toBeUndefined();
    expect(eventBytesOf(encode({ event, v: 1 }))).toBeUndefined();
    expect(eventBytesOf(encode({ v: 1 }))).toBeUndefined();
  });

  it('carries a trace context before the event, and still finds the event; a malformed one is dropped, not the event', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const bytes = encodeEnvelope({ v: 1, traceparent, event });
    expect(decodeEnvelope(bytes)).toEqual({ v: 1, traceparent, event });
    const cut = eventBytesOf(bytes);
    expect(cut && decode(cut)).toEqual(event);
    expect(eventBytesOf(encode({ v: 1, traceparent, event }))).toBeDefined();
    expect(eventBytesOf(encode({ v: 1, traceparent: 7, event }))).toBeUndefined();
    expect(eventBytesOf(encode({ v: 1, other: traceparent, event }))).toBeUndefined();
    expect(decodeEnvelope(encode({ v: 1, traceparent: 7, event }))).toEqual({ v: 1, traceparent: undefined, event });
  });

  it('writes the event bytes it is given in place of the event field', () => {
    const delivered = encodeEnvelope({ v: 1, event });
    const env = decodeEnvelope(delivered);
    if (typeof env === 'string') throw new Error(env);
    const record = newRecord('run_2', 'fn', env, 1);
    (record.event.data as Record<string, unknown>).userId = 'changed by a handler';
    const fixedFields = { event: eventBytesOf(delivered) as Uint8Array };
    expect(decodeRecord(encodeRecord(record, fixedFields)).event).toEqual(event);
  });
});
