/**
 * @module
 * A msgpack writer for plain data, for what every run encodes: its event
 * (once, at send), its record (at the claim and at the outcome) and its
 * run-state changes. msgpackr's general `pack` costs a fixed setup per call
 * and a type dispatch per value; on a Redis worker those writes took ~15% of
 * its runs/s. Plain objects, arrays, strings, numbers, booleans, null and
 * undefined are written here, so that msgpackr decodes them to the same
 * values; anything else (a Date, a Map, a typed array, a class instance) goes
 * through msgpackr as before. A map's fields can be given as bytes made
 * earlier, and values declared fixed have theirs made once: both are copied
 * into every later write.
 */
import { encode } from './msgpack.js';

/** Values declared never to change, with their bytes (null until first written). */
const fixed = new WeakMap<object, Uint8Array | null>();

/** Declares that `value`, a field of maps written later, will not change again: its bytes are made once. */
export function fixEncoding(value: object): void {
  fixed.set(value, null);
}

/** Deeper than this, msgpackr takes over (and fails on a cycle as it always did). */
const maxDepth = 64;

let buf = Buffer.allocUnsafe(8192);
let pos = 0;

function room(n: number): void {
  if (pos + n <= buf.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, pos + n));
  buf.copy(bigger, 0, 0, pos);
  buf = bigger;
}

function bytes(b: Uint8Array): void {
  room(b.length);
  buf.set(b, pos);
  pos += b.length;
}

/**
 * A length (or an unsigned integer, which msgpack sizes the same way): one
 * byte `fix | n` below `fixBelow`, then 8-bit (when the type has that form),
 * 16- and 32-bit forms (0 for `u8`: the type has none).
 */
function sized(n: number, fix: number, fixBelow: number, u8: number, u16: number, u32: number): void {
  room(5);
  if (n < fixBelow) buf[pos++] = fix | n;
  else if (u8 !== 0 && n < 0x100) {
    buf[pos++] = u8;
    buf[pos++] = n;
  } else if (n < 0x10000) {
    buf[pos++] = u16;
    buf.writeUInt16BE(n, pos);
    pos += 2;
  } else {
    buf[pos++] = u32;
    buf.writeUInt32BE(n, pos);
    pos += 4;
  }
}

function str(s: string): void {
  const n = s.length;
  // Short ASCII (ids, names, statuses, keys) in one pass; anything else through Buffer's UTF-8 writer.
  if (n < 0x100) {
    room(2 + n);
    const at = pos;
    if (n < 32) buf[pos++] = 0xa0 | n;
    else {
      buf[pos++] = 0xd9;
      buf[pos++] = n;
    }
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        pos = at;
        return utf8(s);
      }
      buf[pos++] = c;
    }
    return;
  }
  utf8(s);
}

function utf8(s: string): void {
  const n = Buffer.byteLength(s);
  strHeader(n);
  room(n);
  pos += buf.write(s, pos, 'utf8');
}

function num(v: number): void {
  if (Number.isInteger(v) && v >= 0 && v <= 0xffffffff) return sized(v, 0x00, 0x80, 0xcc, 0xcd, 0xce);
  // Negative numbers, timestamps, fractions: a double holds every safe integer exactly.
  room(9);
  buf[pos++] = 0xcb;
  buf.writeDoubleBE(v, pos);
  pos += 8;
}

const arrayHeader = (n: number) => sized(n, 0x90, 16, 0, 0xdc, 0xdd);
const strHeader = (n: number) => sized(n, 0xa0, 32, 0xd9, 0xda, 0xdb);

function array(a: unknown[], depth: number): void {
  const n = a.length;
  arrayHeader(n);
  for (let i = 0; i < n; i++) value(a[i], depth);
}

/** As msgpackr writes a plain object: a map16 whose count is filled in after its own enumerable keys. */
function map(o: Record<string, unknown>, depth: number): boolean {
  const start = pos;
  room(3);
  buf[pos++] = 0xde;
  pos += 2;
  let count = 0;
  for (const k in o) {
    if (typeof o.hasOwnProperty === 'function' && !Object.prototype.hasOwnProperty.call(o, k)) continue;
    str(k);
    value(o[k], depth);
    count++;
  }
  if (count > 0xffff) {
    pos = start;
    return false;
  }
  buf.writeUInt16BE(count, start + 1);
  return true;
}

function value(v: unknown, depth: number): void {
  switch (typeof v) {
    case 'string':
      return str(v);
    case 'number':
      return num(v);
    case 'boolean':
      room(1);
      buf[pos++] = v ? 0xc3 : 0xc2;
      return;
    case 'undefined':
      // msgpackr's undefined: fixext 1 of type 0.
      room(3);
      buf[pos++] = 0xd4;
      buf[pos++] = 0;
      buf[pos++] = 0;
      return;
    case 'object': {
      if (v === null) {
        room(1);
        buf[pos++] = 0xc0;
        return;
      }
      if (depth < maxDepth) {
        if (v.constructor === Object && map(v as Record<string, unknown>, depth + 1)) return;
        if (v.constructor === Array) return array(v as unknown[], depth + 1);
      }
      return bytes(encode(v));
    }
    default:
      return bytes(encode(v));
  }
}

/** Scratch space kept between writes; one that grew past this for a big value is let go afterwards. */
const keepAtMost = 1 << 20;

function take(): Buffer {
  const out = Buffer.allocUnsafe(pos);
  buf.copy(out, 0, 0, pos);
  if (buf.length > keepAtMost) buf = Buffer.allocUnsafe(8192);
  return out;
}

/** Any value, as msgpackr would write it. */
export function writeValue(v: unknown): Uint8Array {
  pos = 0;
  value(v, 0);
  return take();
}

/**
 * A map of `fields`, leaving out those that are undefined (they read back
 * the same: absent). `preset` gives the bytes of some fields, written as they
 * are instead of their values; a field's value declared fixed is copied too.
 */
export function writeFields<T extends object>(fields: T, preset?: Readonly<Partial<Record<keyof T & string, Uint8Array>>>): Uint8Array {
  pos = 0;
  room(3);
  buf[pos++] = 0xde;
  pos += 2;
  let count = 0;
  for (const k in fields) {
    const v: unknown = fields[k];
    if (v === undefined) continue;
    str(k);
    count++;
    const given = preset?.[k] ?? (typeof v === 'object' && v !== null ? fixedBytes(v) : undefined);
    if (given) bytes(given);
    else value(v, 1);
  }
  buf.writeUInt16BE(count, 1);
  return take();
}

function fixedBytes(v: object): Uint8Array | undefined {
  const known = fixed.get(v);
  if (known !== null) return known;
  const made = encode(v);
  fixed.set(v, made);
  return made;
}
