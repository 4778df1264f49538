/**
 * @module
 * What travels on the events subject: an event, or a replay of one aimed at
 * a single function. Envelopes are written by the plain-data writer and read
 * (and checked) with msgpackr, so a malformed message becomes a reason to
 * dead-letter, never an exception in a worker.
 */
import type { StoredEvent } from '../types.js';
import { decode } from './msgpack.js';
import { writeFields } from './msgpack-writer.js';

/** What travels on the events subject: an event, or a replay of one aimed at a single function. */
export interface Envelope {
  v: 1;
  /**
   * The W3C trace context of the code that sent the event (see core/tracing.ts). Written before `event`,
   * so the event stays the last field (eventBytesOf); readers that predate it ignore it.
   */
  traceparent?: string;
  event: StoredEvent;
  /** A batch's events (`batchEvents`), `event` being the first of them. */
  events?: StoredEvent[];
  target?: EnvelopeTarget;
}

/** An envelope aimed at one function's run: a replay, an invoked child, an `onFailure` run, or a parent woken by its child. */
export interface EnvelopeTarget {
  functionId: string;
  runId: string;
  replayOf?: string;
  /** `step.invoke`: the parent run and its step, told when this run ends. */
  parent?: { runId: string; stepId: string };
  /** `onFailure`: the failed run. */
  failureOf?: string;
  /** Wakes a parked run for this step (the run's `turn`): stale once the run has moved on. */
  wake?: string;
}

export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return writeFields(envelope);
}

/** Decodes and checks an envelope; a reason string when the bytes are not one. */
export function decodeEnvelope(bytes: Uint8Array): Envelope | string {
  let value: unknown;
  try {
    value = decode(bytes);
  } catch (e) {
    return `not msgpack: ${(e as Error).message}`;
  }
  if (!value || typeof value !== 'object') return 'not an event envelope: expected a map';
  const env = value as Partial<Envelope>;
  if (env.v !== 1) return `unknown envelope version ${String(env.v)}`;
  const ev = env.event as Partial<StoredEvent> | undefined;
  if (!ev || typeof ev !== 'object') return 'envelope has no event';
  if (typeof ev.name !== 'string' || ev.name.length === 0) return 'event has no name';
  if (typeof ev.id !== 'string' || ev.id.length === 0) return 'event has no id';
  if (typeof ev.ts !== 'number') return 'event has no timestamp';
  if (env.events !== undefined && (!Array.isArray(env.events) || env.events.length === 0 || !env.events.every(isEvent)))
    return 'envelope events are malformed';
  // A trace context is a hint: one that is not a string is dropped, never a reason to refuse the event.
  if (env.traceparent !== undefined && typeof env.traceparent !== 'string') env.traceparent = undefined;
  if (
    env.target !== undefined &&
    (typeof env.target !== 'object' || typeof env.target.functionId !== 'string' || typeof env.target.runId !== 'string')
  ) {
    return 'envelope target is malformed';
  }
  const t = env.target as Partial<EnvelopeTarget> | undefined;
  if (
    t &&
    ((t.parent !== undefined &&
      (typeof t.parent !== 'object' || typeof t.parent.runId !== 'string' || typeof t.parent.stepId !== 'string')) ||
      (t.failureOf !== undefined && typeof t.failureOf !== 'string') ||
      (t.wake !== undefined && typeof t.wake !== 'string'))
  )
    return 'envelope target is malformed';
  return env as Envelope;
}

function isEvent(e: unknown): boolean {
  const ev = e as Partial<StoredEvent> | undefined;
  return !!ev && typeof ev === 'object' && typeof ev.name === 'string' && typeof ev.id === 'string' && typeof ev.ts === 'number';
}

const head = Uint8Array.of(0xa1, 0x76, 0x01); // "v": 1
const eventKey = Uint8Array.of(0xa5, 0x65, 0x76, 0x65, 0x6e, 0x74); // "event"
const traceKey = new TextEncoder().encode('traceparent'); // after its fixstr tag, 0xab

function startsWith(bytes: Uint8Array, at: number, part: Uint8Array): boolean {
  if (at + part.length > bytes.length) return false;
  for (let i = 0; i < part.length; i++) if (bytes[at + i] !== part[i]) return false;
  return true;
}

/**
 * A copy of the event's bytes inside an envelope laid out as this runtime
 * writes one for a sent event (`v`, an optional `traceparent`, then `event`
 * last), without encoding it again; `undefined` for any other layout (a
 * replay's target, another writer). A copy, because the record is written
 * long after a transport may have reused its buffer.
 */
export function eventBytesOf(envelope: Uint8Array): Uint8Array | undefined {
  if (envelope.length < 3 || envelope[0] !== 0xde || envelope[1] !== 0x00) return undefined;
  const fields = envelope[2];
  let at = 3;
  if (!startsWith(envelope, at, head)) return undefined;
  at += head.length;
  if (fields === 3) {
    if (envelope[at] !== 0xab || !startsWith(envelope, at + 1, traceKey)) return undefined;
    at += 1 + traceKey.length;
    // The value: a fixstr or a str8 (a traceparent is 55 characters).
    const tag = envelope[at];
    if (tag >= 0xa0 && tag <= 0xbf) at += 1 + (tag & 0x1f);
    else if (tag === 0xd9) at += 2 + envelope[at + 1];
    else return undefined;
  } else if (fields !== 2) return undefined;
  if (!startsWith(envelope, at, eventKey)) return undefined;
  at += eventKey.length;
  if (at >= envelope.length) return undefined;
  return Buffer.from(envelope.subarray(at));
}
