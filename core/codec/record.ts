/**
 * @module
 * Run records, written with the plain-data writer (msgpack-writer.ts). Most
 * of a record does not change between its writes: the event never does (its
 * bytes are usually cut straight out of the delivered envelope, see
 * `FixedFields`), and the machine snapshot is one of the run machine's
 * handful of shared values, declared fixed here, so their bytes are copied
 * rather than written again. The bytes are ordinary msgpack maps:
 * `decodeRecord` reads them as it reads msgpackr's.
 */
import type { RunRecord } from '../types.js';
import { everySnapshot } from '../run-machine.js';
import { decode } from './msgpack.js';
import { fixEncoding, writeFields } from './msgpack-writer.js';

/** The bytes of some of a record's fields, made once per run rather than on every write. */
export interface FixedFields {
  /** The event, as delivered. */
  event: Uint8Array;
}

// Every snapshot a record can hold is one of the run machine's shared values, never changed: each one's bytes are made once.
for (const snapshot of everySnapshot()) fixEncoding(snapshot);

export function encodeRecord(record: RunRecord, fixedFields?: FixedFields): Uint8Array {
  return writeFields(record, fixedFields);
}

export function decodeRecord(bytes: Uint8Array): RunRecord {
  return decode(bytes) as RunRecord;
}
