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

function header(target: Buffer, at: number, length: number, small: number, fix: number): number {
  if (length < small) {
    target[at] = fix | length;
    return at + 1;
  }
  if (fix === 0xa0 && length < 0x100) {
    target[at] = 0xd9;
    target[at + 1] = length;
    return at + 2;
  }
  if (length < 0x10000) {
    target[at] = fix === 0xa0 ? 0xda : 0xdc;
    target.writeUInt16BE(length, at + 1);
    return at + 3;
  }
  target[at] = fix === 0xa0 ? 0xdb : 0xdd;
  target.writeUInt32BE(length, at + 1);
  return at + 5;
}

export function packItems(values: (string | Buffer)[]): Buffer {
  let size = 5;
  const lengths = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const n = typeof v === 'string' ? Buffer.byteLength(v) : v.length;
    lengths[i] = n;
    size += n + 5;
  }
  const out = Buffer.allocUnsafe(size);
  let at = header(out, 0, values.length, 16, 0x90);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    at = header(out, at, lengths[i], 32, 0xa0);
    at += typeof v === 'string' ? out.write(v, at) : v.copy(out, at);
  }
  return out.subarray(0, at);
}

/** Lua: `items`, the unpacked array (flat: item i's value k, counting both from 1, is items[(i - 1) * width + k]). */
export const UNPACK_ITEMS = (argv: number) => `local items = cmsgpack.unpack(ARGV[${argv}])`;
