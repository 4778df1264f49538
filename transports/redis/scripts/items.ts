/**
 * The per-item arguments of a batched script call travel as one msgpack
 * array (one Redis argument) that the script opens with `cmsgpack.unpack`.
 * As separate arguments, a batch of 100 commits was ~1,100 strings: ioredis
 * spent more time laying them out (flattening, measuring, copying each one)
 * than the worker spent on the runs, and Redis parsed each one on arrival.
 *
 * Every value is written as a msgpack string of its raw bytes, which Lua
 * reads as the same string it would have been as a Redis argument (Redis'
 * cmsgpack knows no msgpack bin type, so bytes cannot travel as one).
 */

/** The msgpack header bytes of a type: the one-byte form below `fixBelow`, then 8-, 16- and 32-bit lengths. */
interface HeaderTags {
  fix: number;
  fixBelow: number;
  u8?: number;
  u16: number;
  u32: number;
}
const ARRAY: HeaderTags = { fix: 0x90, fixBelow: 16, u16: 0xdc, u32: 0xdd };
const STRING: HeaderTags = { fix: 0xa0, fixBelow: 32, u8: 0xd9, u16: 0xda, u32: 0xdb };

/** Writes the header of a `length`-long value of type `t` at `at`; returns where the value starts. */
function header(out: Buffer, at: number, length: number, t: HeaderTags): number {
  if (length < t.fixBelow) {
    out[at] = t.fix | length;
    return at + 1;
  }
  if (t.u8 !== undefined && length < 0x100) {
    out[at] = t.u8;
    out[at + 1] = length;
    return at + 2;
  }
  if (length < 0x10000) {
    out[at] = t.u16;
    out.writeUInt16BE(length, at + 1);
    return at + 3;
  }
  out[at] = t.u32;
  out.writeUInt32BE(length, at + 1);
  return at + 5;
}

export function packItems(values: (string | Buffer)[]): Buffer {
  // Headers take at most 5 bytes each.
  let size = 5;
  const lengths = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    lengths[i] = typeof v === 'string' ? Buffer.byteLength(v) : v.length;
    size += lengths[i] + 5;
  }
  const out = Buffer.allocUnsafe(size);
  let at = header(out, 0, values.length, ARRAY);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    at = header(out, at, lengths[i], STRING);
    at += typeof v === 'string' ? out.write(v, at) : v.copy(out, at);
  }
  return out.subarray(0, at);
}

/** Lua: `items`, the unpacked array (flat: item i's value k, counting both from 1, is items[(i - 1) * width + k]). */
export const UNPACK_ITEMS = (argv: number) => `local items = cmsgpack.unpack(ARGV[${argv}])`;
