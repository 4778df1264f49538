/**
 * The per-item arguments of a batched script call travel as one msgpack
 * array (one Redis argument) that the script opens with `cmsgpack.unpack`.
 * As separate arguments, a batch of 100 commits was ~1,100 strings: ioredis
 * spent more time laying them out (flattening, measuring, copying each one)
 * than the worker spent on the runs, and Redis parsed each one on arrival.
 *
 * Every value is written as a msgpack string of its raw bytes, which Lua
 * reads as the same string it would have been as a Redis argument (Redis'
 * cmsgpack knows no msgpack bin type, so bytes cannot travel as one). This
 * is Redis' wire format, not eventide's encoding, so the transport writes it
 * itself: two headers and the bytes.
 */

/** Bytes of a msgpack header for `n`: `fixed | n` below `fixedBelow`, else the 8-, 16- or 32-bit form (`tag8` 0: none). */
function headerSize(n: number, fixedBelow: number, tag8: number): number {
  return n < fixedBelow ? 1 : tag8 !== 0 && n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

function writeHeader(
  out: Buffer,
  at: number,
  n: number,
  fixed: number,
  fixedBelow: number,
  tag8: number,
  tag16: number,
  tag32: number,
): number {
  if (n < fixedBelow) {
    out[at] = fixed | n;
    return at + 1;
  }
  if (tag8 !== 0 && n < 0x100) {
    out[at] = tag8;
    out[at + 1] = n;
    return at + 2;
  }
  if (n < 0x10000) {
    out[at] = tag16;
    out.writeUInt16BE(n, at + 1);
    return at + 3;
  }
  out[at] = tag32;
  out.writeUInt32BE(n, at + 1);
  return at + 5;
}

/** One msgpack array of strings, each the raw bytes of a value; sized first, so it is written into one buffer. */
export function packItems(values: (string | Buffer)[]): Buffer {
  let size = headerSize(values.length, 16, 0);
  const lengths = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const n = typeof v === 'string' ? Buffer.byteLength(v) : v.length;
    lengths[i] = n;
    size += headerSize(n, 32, 0xd9) + n;
  }
  const out = Buffer.allocUnsafe(size);
  let at = writeHeader(out, 0, values.length, 0x90, 16, 0, 0xdc, 0xdd);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    at = writeHeader(out, at, lengths[i], 0xa0, 32, 0xd9, 0xda, 0xdb);
    at += typeof v === 'string' ? out.write(v, at, 'utf8') : v.copy(out, at);
  }
  return out;
}

/** Lua: `items`, the unpacked array (flat: item i's value k, counting both from 1, is items[(i - 1) * width + k]). */
export const UNPACK_ITEMS = (argv: number) => `local items = cmsgpack.unpack(ARGV[${argv}])`;
