/**
 * @module
 * msgpackr, set up once for everything eventide encodes: plain maps, no
 * shared structures, so that every message describes itself.
 */
import { Packr } from 'msgpackr';

// Records (shared structures) would make the bytes depend on what this process saw first; plain maps keep every message self-describing.
const packr = new Packr({ useRecords: false, moreTypes: true, mapsAsObjects: true });

export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function decode(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}
