/**
 * @module
 * Wire encoding (msgpackr). Transports only ever see the bytes made here.
 */
import { Packr } from 'msgpackr';
import type { RunRecord, StoredEvent } from './types.js';

// Records (shared structures) would make the bytes depend on what this process saw first; plain maps keep every message self-describing.
const packr = new Packr({ useRecords: false, moreTypes: true, mapsAsObjects: true });

/** What travels on the events subject: an event, or a replay of one aimed at a single function. */
export interface Envelope {
  v: 1;
  event: StoredEvent;
  target?: { functionId: string; runId: string; replayOf?: string };
}

export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function decode(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

export function decodeRecord(bytes: Uint8Array): RunRecord {
  return packr.unpack(bytes) as RunRecord;
}

/** Decodes and checks an envelope; a reason string when the bytes are not one. */
export function decodeEnvelope(bytes: Uint8Array): Envelope | string {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
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
  if (
    env.target !== undefined &&
    (typeof env.target !== 'object' || typeof env.target.functionId !== 'string' || typeof env.target.runId !== 'string')
  ) {
    return 'envelope target is malformed';
  }
  return env as Envelope;
}

/**
 * Why `value` cannot travel, or `undefined` when it can. msgpackr would
 * quietly turn a function into an empty value and overflow the stack on a
 * cycle, so both are caught here first. Every event, step result and run
 * output passes through here: the path to a problem is spelled out only once
 * one is found, and a plain value allocates nothing.
 */
export function unserialisableReason(value: unknown, path = 'data'): string | undefined {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function' && typeof value !== 'symbol')) return undefined;
  const found = problemIn(value, []);
  return found === undefined ? undefined : `${path}${found}`;
}

/** The first problem inside `value` as the rest of its path and what is wrong (`.a[1] is a function`). `parents`: the objects above it. */
function problemIn(value: unknown, parents: object[]): string | undefined {
  switch (typeof value) {
    case 'function':
      return ' is a function';
    case 'symbol':
      return ' is a symbol';
    case 'object': {
      if (value === null) return undefined;
      if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return undefined;
      if (parents.includes(value)) return ' is a cycle (refers back to one of its parents)';
      parents.push(value);
      let found: string | undefined;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const inner = problemIn(value[i], parents);
          if (inner !== undefined) {
            found = `[${i}]${inner}`;
            break;
          }
        }
      } else if (value instanceof Map) {
        for (const [k, v] of value) {
          const inner = problemIn(v, parents);
          if (inner !== undefined) {
            found = `.get(${String(k)})${inner}`;
            break;
          }
        }
      } else if (value instanceof Set) {
        for (const v of value) {
          const inner = problemIn(v, parents);
          if (inner !== undefined) {
            found = `{}${inner}`;
            break;
          }
        }
      } else {
        for (const k in value) {
          const inner = problemIn((value as Record<string, unknown>)[k], parents);
          if (inner !== undefined) {
            found = `.${k}${inner}`;
            break;
          }
        }
        if (found === undefined && Object.getOwnPropertySymbols(value).length > 0) found = ' has symbol keys';
      }
      parents.pop();
      return found;
    }
    default:
      return undefined;
  }
}
