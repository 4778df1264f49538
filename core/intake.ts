/**
 * @module
 * Event intake: what `send` does before the transport sees anything. Each
 * event is checked (name, id, ts), validated against its schema when its
 * name has one, checked for values that cannot travel, encoded once and
 * measured against the size limit. Any problem is an EventValidationError
 * naming the event, thrown before a single event of the batch is enqueued.
 */
import { encodeEnvelope } from './codec/envelope.js';
import { hasLoneSurrogate, unserialisableReason } from './codec/values.js';
import { ConfigError, EventValidationError, coerceError } from './errors.js';
import type { EventideFunction } from './function.js';
import { newEventId } from './ids.js';
import { validateData, type SchemaMap } from './schema.js';
import type { EventPayload, StoredEvent } from './types.js';

/** An event ready for the transport. */
export interface Prepared {
  id: string;
  name: string;
  bytes: Uint8Array;
  /** The id was made here, not given by the caller. */
  fresh: boolean;
  /** Deliver no earlier than this many milliseconds from now (a future `ts`, or `send`'s `delay`); 0: at once. */
  delayMs: number;
}

export class EventIntake {
  private readonly schemas = new Map<string, SchemaMap[string]>();

  /** Schemas come from each function's trigger (for an exact event name) and from the runtime's `schemas` option, which wins. */
  constructor(
    functions: Iterable<EventideFunction>,
    schemas: SchemaMap,
    private readonly maxEventBytes: number,
  ) {
    for (const fn of functions) {
      for (const t of fn.events) if (t.schema && !t.event.endsWith('*')) this.schemas.set(t.event, t.schema);
    }
    for (const [name, schema] of Object.entries(schemas)) {
      if (!schema || typeof schema !== 'object' || !('~standard' in schema))
        throw new ConfigError(`schema for "${name}" is not a Standard Schema v1 object`);
      this.schemas.set(name, schema);
    }
  }

  /** Synchronous unless the event's name has a schema: no promise hop on the critical path. */
  prepare(event: EventPayload, now: number, index: number, delayMs = 0, traceparent?: string): Prepared | Promise<Prepared> {
    const at = `event #${index}`;
    if (!event || typeof event !== 'object')
      throw new EventValidationError(`${at} must be an object { name, data }`, { code: 'INVALID_EVENT' });
    const { name } = event;
    if (typeof name !== 'string' || name.trim().length === 0)
      throw new EventValidationError(`${at} needs a non-empty string name`, { code: 'INVALID_NAME' });
    if (hasLoneSurrogate(name)) {
      const why = `name ${JSON.stringify(name)} holds a lone surrogate (half of a UTF-16 pair), which cannot travel`;
      throw new EventValidationError(`${at}: ${why}`, { code: 'INVALID_NAME' });
    }
    if (
      event.id !== undefined &&
      (typeof event.id !== 'string' || event.id.length === 0 || event.id.length > 256 || hasLoneSurrogate(event.id))
    ) {
      throw new EventValidationError(`event "${name}": id must be a non-empty string of at most 256 characters, with no lone surrogate`, {
        code: 'INVALID_ID',
        eventName: name,
      });
    }
    if (event.ts !== undefined && !Number.isFinite(event.ts))
      throw new EventValidationError(`event "${name}": ts must be epoch milliseconds`, { code: 'INVALID_EVENT', eventName: name });
    const data: unknown = event.data === undefined ? {} : event.data;
    const schema = this.schemas.get(name);
    if (schema) return validateData(schema, name, data).then((valid) => this.encode(event, name, valid, now, delayMs, traceparent));
    return this.encode(event, name, data, now, delayMs, traceparent);
  }

  private encode(
    event: EventPayload,
    name: string,
    data: unknown,
    now: number,
    delayMs: number,
    traceparent: string | undefined,
  ): Prepared {
    const reason = unserialisableReason(data);
    if (reason)
      throw new EventValidationError(`event "${name}": ${reason}, which cannot be sent; send plain data`, {
        code: 'NOT_SERIALISABLE',
        eventName: name,
      });
    // A `delay` dates an event without a ts to when it is due; a ts in the future is a delay of its own.
    const ts = event.ts ?? now + delayMs;
    const stored: StoredEvent = { name, data, id: event.id ?? newEventId(now), ts };
    let bytes: Uint8Array;
    try {
      bytes = encodeEnvelope({ v: 1, traceparent, event: stored });
    } catch (e) {
      throw new EventValidationError(`event "${name}": data cannot be encoded: ${coerceError(e).message}`, {
        code: 'NOT_SERIALISABLE',
        eventName: name,
        cause: e,
      });
    }
    if (bytes.length > this.maxEventBytes) {
      throw new EventValidationError(
        `event "${name}" is ${bytes.length} bytes encoded, over the limit of ${this.maxEventBytes} (maxEventBytes)`,
        { code: 'TOO_LARGE', eventName: name },
      );
    }
    return { id: stored.id, name, bytes, fresh: event.id === undefined, delayMs: Math.max(delayMs, ts - now) };
  }
}
