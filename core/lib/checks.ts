/**
 * @module
 * Checks of options, written once for the runtime and every transport, so
 * that each refuses a bad value the same way: a `ConfigError` that names
 * the option and says where it was given.
 */
import { ConfigError } from '../errors.js';

/** Letters, digits, '_' and '-': safe in a stream name, a subject, a key and a Redis hash tag alike. */
const namespacePattern = /^[A-Za-z0-9_-]+$/;

export function isNamespace(value: unknown): value is string {
  return typeof value === 'string' && namespacePattern.test(value);
}

export interface NumberOption {
  /** The option's name, as the user wrote it. */
  name: string;
  /** What the option belongs to, put before the message: 'redis transport', 'NATS transport'. */
  where?: string;
  /** The value when the option is absent. */
  fallback: number;
  /** Whole numbers only. */
  integer?: boolean;
  /** 0 is allowed too. */
  zero?: boolean;
  /** How to say what is wanted, when more than "a positive number" helps: 'milliseconds or entries'. */
  unit?: string;
}

/** `value`, or `fallback` when absent; a ConfigError when it is not a finite number above 0 (or at least 0, with `zero`). */
export function numberOption(value: unknown, { name, where, fallback, integer = false, zero = false, unit }: NumberOption): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' && Number.isFinite(value) && (zero ? value >= 0 : value > 0) && (!integer || Number.isInteger(value));
  if (ok) return value;
  const wanted = zero
    ? integer
      ? 'a whole number ≥ 0'
      : '0 or more'
    : integer
      ? 'a whole number > 0'
      : `a positive number${unit ? ` of ${unit}` : ''}`;
  throw new ConfigError(`${where ? `${where}: ` : ''}${name} must be ${wanted}, got ${JSON.stringify(value)}`);
}
