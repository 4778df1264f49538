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
import { writeStrings } from '../../../core/msgpack-writer.js';

export function packItems(values: (string | Buffer)[]): Buffer {
  return writeStrings(values);
}

/** Lua: `items`, the unpacked array (flat: item i's value k, counting both from 1, is items[(i - 1) * width + k]). */
export const UNPACK_ITEMS = (argv: number) => `local items = cmsgpack.unpack(ARGV[${argv}])`;
