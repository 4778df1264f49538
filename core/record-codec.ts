/**
 * @module
 * Writes run records and event envelopes with the plain-data writer
 * (msgpack-writer.ts). Most of a record does not change between its writes:
 * the event never does (its bytes are usually cut straight out of the
 * delivered envelope, see `FixedFields`) and the machine snapshot is one of a
 * handful of shared values (run-machine.ts declares them fixed), so their
 * bytes are copied rather than written again. The bytes are
 * ordinary msgpack maps: `decodeRecord` and `decodeEnvelope` read them as
 * they read msgpackr's.
 */
import type { Envelope } from './codec.js';
import { writeFields } from './msgpack-writer.js';
import type { RunRecord } from './types.js';

/** The bytes of some of a record's fields, made once per run rather than on every write. */
export interface FixedFields {
  /** The event, as delivered. */
  event: Uint8Array;
}

export function encodeRecord(record: RunRecord, fixedFields?: FixedFields): Uint8Array {
  return writeFields(record as unknown as Record<string, unknown>, fixedFields as unknown as Record<string, Uint8Array> | undefined);
}

export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return writeFields(envelope as unknown as Record<string, unknown>);
}

// An envelope with no target, as `encodeEnvelope` writes it: map16 of 2, "v": 1, "event": <event>.
const envelopeHead = Uint8Array.of(0xde, 0x00, 0x02, 0xa1, 0x76, 0x01, 0xa5, 0x65, 0x76, 0x65, 0x6e, 0x74);

/**
 * A copy of the event's bytes inside an envelope laid out as this runtime
 * writes one for a sent event, without encoding it again; `undefined` for
 * any other layout (a replay's target, another writer). A copy, because the
 * record is written long after a transport may have reused its buffer.
 */
export function eventBytesOf(envelope: Uint8Array): Uint8Array | undefined {
  if (envelope.length <= envelopeHead.length) return undefined;
  for (let i = 0; i < envelopeHead.length; i++) if (envelope[i] !== envelopeHead[i]) return undefined;
  return Buffer.from(envelope.subarray(envelopeHead.length));
}
