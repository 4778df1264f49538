import { toMs, type Duration } from './duration.js';
import { ConfigError, RetryAfterError } from './errors.js';

export interface BackoffPolicy {
  type: 'exponential' | 'fixed';
  /** First delay (exponential) or every delay (fixed). Default 1 s. */
  delay?: Duration;
  /** Ceiling for exponential growth. Default 10 min. */
  maxDelay?: Duration;
  /** Fraction of each delay taken off at random (0–1), so retries of many runs spread out. Default 0.25; `false` for none. */
  jitter?: number | boolean;
}

/** A policy, or a function of the failed attempt (1-based) and its error returning milliseconds. */
export type Backoff = BackoffPolicy | ((attempt: number, error: Error) => number);

export type DelayFor = (attempt: number, error: Error) => number;

export function compileBackoff(backoff: Backoff | undefined, where: string): DelayFor {
  if (typeof backoff === 'function') {
    return (attempt, error) => {
      const ms = backoff(attempt, error);
      return Number.isFinite(ms) && ms >= 0 ? ms : 0;
    };
  }
  const policy = backoff ?? { type: 'exponential' };
  if (policy.type !== 'exponential' && policy.type !== 'fixed')
    throw new ConfigError(`${where}: backoff type must be 'exponential' or 'fixed'`);
  const delay = toMs(policy.delay ?? 1_000, `${where}: backoff.delay`);
  const maxDelay = toMs(policy.maxDelay ?? 600_000, `${where}: backoff.maxDelay`);
  const jitter = policy.jitter === false ? 0 : policy.jitter === true || policy.jitter === undefined ? 0.25 : policy.jitter;
  if (!(jitter >= 0 && jitter <= 1)) throw new ConfigError(`${where}: backoff.jitter must be between 0 and 1`);
  return (attempt) => {
    const base = policy.type === 'fixed' ? delay : Math.min(maxDelay, delay * 2 ** Math.max(0, attempt - 1));
    return Math.round(base * (1 - jitter * Math.random()));
  };
}

/** Milliseconds until the next attempt after `error` on the given (1-based) attempt: a RetryAfterError's own delay wins. */
export function retryDelay(error: Error, attempt: number, delayFor: DelayFor, now: number): number {
  if (error instanceof RetryAfterError) {
    const after = error.retryAfter;
    if (after instanceof Date) return Math.max(0, after.getTime() - now);
    try {
      return toMs(after, 'RetryAfterError delay');
    } catch {
      return delayFor(attempt, error);
    }
  }
  return delayFor(attempt, error);
}
