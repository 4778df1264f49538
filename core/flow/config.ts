/**
 * @module
 * A function's flow control as configured (`concurrency`, `throttle`,
 * `priority`), checked once in `defineFunction` and compiled into the
 * limits the gate asks the transport about. Each limit's slots or schedule
 * are named by the function, the limit and the user's key, so every
 * process of a namespace names them alike.
 */
import { toMs, type Duration } from '../duration.js';
import { ConfigError } from '../errors.js';
import type { StoredEvent } from '../types.js';
import { compileIntake, type IntakeControl } from './intake-config.js';

import type { KeyOf } from './key.js';

export type { KeyOf } from './key.js';

export interface ConcurrencyLimit<Data = unknown> {
  /** Most runs executing at once, across every worker process of the namespace. */
  limit: number;
  /** Counts per key instead of per function. */
  key?: KeyOf<Data>;
}

/** A number (runs of the function at once), a limit, or up to two limits (say, per account and overall). */
export type ConcurrencyOption<Data = unknown> = number | ConcurrencyLimit<Data> | (number | ConcurrencyLimit<Data>)[];

export interface ThrottleOption<Data = unknown> {
  /** Most runs started per `period` (per key), spread evenly over it. */
  limit: number;
  period: Duration;
  key?: KeyOf<Data>;
  /** Starts allowed early, together, beyond the even spread. Default 0. */
  burst?: number;
}

/** Among runs waiting for the same concurrency slot, higher starts first; equal ones in arrival order. */
export type PriorityOf<Data = unknown> = (event: StoredEvent<string, Data>) => number;

export interface CompiledLimit {
  /** Where it is named in the config, for errors: 'concurrency', 'concurrency[1]', 'throttle'. */
  option: string;
  limit: number;
  key: KeyOf | undefined;
  /** Prefix of the transport key of its slots or schedule. */
  name: string;
}

export interface CompiledThrottle extends CompiledLimit {
  periodMs: number;
  burst: number;
}

export interface FlowControl {
  concurrency: CompiledLimit[];
  throttle: CompiledThrottle | undefined;
  priority: PriorityOf | undefined;
  /** The gates an event passes before it becomes a run; `undefined` when there are none. */
  intake: IntakeControl | undefined;
}

function wholeAboveZero(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
    throw new ConfigError(`${what} must be a whole number > 0, got ${JSON.stringify(value)}`);
  return value;
}

function keyOption(value: unknown, what: string): KeyOf | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new ConfigError(`${what} must be a function of the event, such as (e) => e.data.accountId`);
  return value as KeyOf;
}

function onlyFields(value: object, allowed: readonly string[], what: string): void {
  for (const name of Object.keys(value))
    if (!allowed.includes(name)) throw new ConfigError(`${what} has an unknown option "${name}" (known: ${allowed.join(', ')})`);
}

function concurrencyLimits(given: unknown, fnId: string, where: string): CompiledLimit[] {
  const list: unknown[] = Array.isArray(given) ? given : [given];
  if (list.length === 0 || list.length > 2)
    throw new ConfigError(`${where}: concurrency takes a number, a { limit, key } or a list of one or two of them, got ${list.length}`);
  return list.map((entry, i) => {
    const option = Array.isArray(given) ? `concurrency[${i}]` : 'concurrency';
    const what = `${where}: ${option}`;
    if (typeof entry === 'number') return { option, limit: wholeAboveZero(entry, what), key: undefined, name: `${fnId}/c${i}` };
    if (!entry || typeof entry !== 'object') throw new ConfigError(`${what} must be a number or { limit, key? }`);
    onlyFields(entry, ['limit', 'key'], what);
    const e = entry as ConcurrencyLimit;
    return { option, limit: wholeAboveZero(e.limit, `${what}.limit`), key: keyOption(e.key, `${what}.key`), name: `${fnId}/c${i}` };
  });
}

function throttleOf(option: unknown, fnId: string, where: string): CompiledThrottle {
  const what = `${where}: throttle`;
  if (!option || typeof option !== 'object' || Array.isArray(option))
    throw new ConfigError(`${what} must be { limit, period, key?, burst? }`);
  onlyFields(option, ['limit', 'period', 'key', 'burst'], what);
  const t = option as ThrottleOption;
  const periodMs = toMs(t.period, `${what}.period`);
  if (periodMs <= 0) throw new ConfigError(`${what}.period must be longer than 0`);
  const burst = t.burst ?? 0;
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 0)
    throw new ConfigError(`${what}.burst must be a whole number ≥ 0, got ${JSON.stringify(burst)}`);
  return {
    option: 'throttle',
    limit: wholeAboveZero(t.limit, `${what}.limit`),
    key: keyOption(t.key, `${what}.key`),
    name: `${fnId}/t`,
    periodMs,
    burst,
  };
}

/** The flow control a config asks for, or `undefined` when it asks for none (the executor's fast path). */
export function compileFlow(
  config: {
    concurrency?: unknown;
    throttle?: unknown;
    priority?: unknown;
    rateLimit?: unknown;
    idempotency?: unknown;
    debounce?: unknown;
    batchEvents?: unknown;
  },
  fnId: string,
  where: string,
): FlowControl | undefined {
  const { concurrency, throttle, priority } = config;
  const intake = compileIntake(config, where);
  if (concurrency === undefined && throttle === undefined && priority === undefined && intake === undefined) return undefined;
  if (priority !== undefined && typeof priority !== 'function')
    throw new ConfigError(`${where}: priority must be a function of the event that returns a number`);
  if (priority !== undefined && concurrency === undefined)
    throw new ConfigError(`${where}: priority orders runs waiting for a concurrency slot, so it needs concurrency`);
  return {
    concurrency: concurrency === undefined ? [] : concurrencyLimits(concurrency, fnId, where),
    throttle: throttle === undefined ? undefined : throttleOf(throttle, fnId, where),
    priority: priority as PriorityOf | undefined,
    intake,
  };
}
