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

/** Writes a msgpack array header for `count` values at `at`; returns where the values start. */
function arrayHeader(out: Buffer, at: number, count: number): number {
  if (count < 16) {
    out[at] = 0x90 | count;
    return at + 1;
  }
  if (count < 0x10000) {
    out[at] = 0xdc;
    out.writeUInt16BE(count, at + 1);
    return at + 3;
  }
  out[at] = 0xdd;
  out.writeUInt32BE(count, at + 1);
  return at + 5;
}

/** Writes a msgpack string header for `length` bytes at `at`; returns where the bytes go. */
function stringHeader(out: Buffer, at: number, length: number): number {
  if (length < 32) {
    out[at] = 0xa0 | length;
    return at + 1;
  }
  if (length < 0x100) {
    out[at] = 0xd9;
    out[at + 1] = length;
    return at + 2;
  }
  if (length < 0x10000) {
    out[at] = 0xda;
    out.writeUInt16BE(length, at + 1);
    return at + 3;
  }
  out[at] = 0xdb;
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
  let at = arrayHeader(out, 0, values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    at = stringHeader(out, at, lengths[i]);
    at += typeof v === 'string' ? out.write(v, at) : v.copy(out, at);
  }
  return out.subarray(0, at);
}

/** Lua: `items`, the unpacked array (flat: item i's value k, counting both from 1, is items[(i - 1) * width + k]). */
export const UNPACK_ITEMS = (argv: number) => `local items = cmsgpack.unpack(ARGV[${argv}])`;
