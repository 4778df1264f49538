/**
 * @module
 * The gates at event intake, as configured (`rateLimit`, `idempotency`,
 * `debounce`, `batchEvents`), checked once in `defineFunction`. They decide
 * whether and how an event becomes a run, before any run limit applies.
 */
import { toMs, type Duration } from '../duration.js';
import { ConfigError } from '../errors.js';
import type { KeyOf } from './key.js';

export interface RateLimitOption<Data = unknown> {
  /** Runs started per `period` (per key), one every `period / limit`; events over it start no run (`skipped`). */
  limit: number;
  period: Duration;
  key?: KeyOf<Data>;
}

export interface IdempotencyOption<Data = unknown> {
  /** One run per key per `period`; later events with the key are `skipped`, naming the run that holds it. */
  key: KeyOf<Data>;
  period?: Duration;
}

export interface DebounceOption<Data = unknown> {
  /** One run, with the last event, once `period` passed with no new event (per key). */
  period: Duration;
  key?: KeyOf<Data>;
  /** The longest an event waits from the first one of a quiet spell: a steady stream still runs this often. */
  timeout?: Duration;
}

export interface BatchOption<Data = unknown> {
  /** One run for up to `maxSize` events (per key), or what arrived within `timeout` of the first. */
  maxSize: number;
  timeout: Duration;
  key?: KeyOf<Data>;
}

export interface IntakeControl {
  rateLimit?: { limit: number; periodMs: number; key: KeyOf | undefined };
  idempotency?: { periodMs: number; key: KeyOf };
  debounce?: { periodMs: number; timeoutMs: number | undefined; key: KeyOf | undefined };
  batch?: { maxSize: number; timeoutMs: number; key: KeyOf | undefined };
}

function shape(value: unknown, what: string, fields: readonly string[], wanted: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${what} must be ${wanted}`);
  for (const name of Object.keys(value))
    if (!fields.includes(name)) throw new ConfigError(`${what} has an unknown option "${name}" (known: ${fields.join(', ')})`);
  return value as Record<string, unknown>;
}

function whole(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw new ConfigError(`${what} must be a whole number > 0, got ${JSON.stringify(value)}`);
  return value;
}

function period(value: unknown, what: string, leastMs = 1): number {
  const ms = toMs(value as Duration, what);
  if (ms < leastMs) throw new ConfigError(`${what} must be at least ${leastMs} ms, got ${ms} ms`);
  return ms;
}

function key(value: unknown, what: string, required = false): KeyOf | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'function') throw new ConfigError(`${what} must be a function of the event, such as (e) => e.data.accountId`);
  return value as KeyOf;
}

/** The intake gates a config asks for, or `undefined` when it asks for none. */
export function compileIntake(
  config: { rateLimit?: unknown; idempotency?: unknown; debounce?: unknown; batchEvents?: unknown },
  where: string,
): IntakeControl | undefined {
  const { rateLimit, idempotency, debounce, batchEvents } = config;
  if (rateLimit === undefined && idempotency === undefined && debounce === undefined && batchEvents === undefined) return undefined;
  if (debounce !== undefined && batchEvents !== undefined)
    throw new ConfigError(`${where}: debounce and batchEvents cannot be used together: one keeps the last event, the other keeps them all`);
  const out: IntakeControl = {};
  if (rateLimit !== undefined) {
    const what = `${where}: rateLimit`;
    const r = shape(rateLimit, what, ['limit', 'period', 'key'], '{ limit, period, key? }');
    // Under a second a rate limit is a throttle's job: it would skip events that only arrived close together.
    out.rateLimit = {
      limit: whole(r.limit, `${what}.limit`),
      periodMs: period(r.period, `${what}.period`, 1_000),
      key: key(r.key, `${what}.key`),
    };
  }
  if (idempotency !== undefined) {
    const what = `${where}: idempotency`;
    const i = shape(idempotency, what, ['key', 'period'], '{ key, period? }');
    out.idempotency = { key: key(i.key, `${what}.key`, true) as KeyOf, periodMs: period(i.period ?? '24h', `${what}.period`) };
  }
  if (debounce !== undefined) {
    const what = `${where}: debounce`;
    const d = shape(debounce, what, ['period', 'key', 'timeout'], '{ period, key?, timeout? }');
    const periodMs = period(d.period, `${what}.period`);
    const timeoutMs = d.timeout === undefined ? undefined : period(d.timeout, `${what}.timeout`);
    if (timeoutMs !== undefined && timeoutMs < periodMs) throw new ConfigError(`${what}.timeout must be at least its period`);
    out.debounce = { periodMs, timeoutMs, key: key(d.key, `${what}.key`) };
  }
  if (batchEvents !== undefined) {
    const what = `${where}: batchEvents`;
    const b = shape(batchEvents, what, ['maxSize', 'timeout', 'key'], '{ maxSize, timeout, key? }');
    const maxSize = whole(b.maxSize, `${what}.maxSize`);
    if (maxSize > 1_000) throw new ConfigError(`${what}.maxSize must be at most 1000 (a batch travels and is stored as one value)`);
    out.batch = { maxSize, timeoutMs: period(b.timeout, `${what}.timeout`), key: key(b.key, `${what}.key`) };
  }
  return out;
}
