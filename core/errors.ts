/**
 * @module
 * Errors a handler throws to steer retries, and the typed errors eventide
 * raises at its boundaries. Each sets a literal `name` so a minifier cannot
 * change what users match on.
 */

/** Fails the run at once: no retry can fix this. */
export class NonRetriableError extends Error {
  override readonly name = 'NonRetriableError' as const;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Retries after the given delay (ms, a duration string or a Date) instead of the backoff. */
export class RetryAfterError extends Error {
  override readonly name = 'RetryAfterError' as const;
  readonly retryAfter: number | string | Date;
  constructor(message: string, retryAfter: number | string | Date, options?: ErrorOptions) {
    super(message, options);
    this.retryAfter = retryAfter;
  }
}

/** An event refused at `send`: nothing of the batch was enqueued. */
export class EventValidationError extends Error {
  override readonly name = 'EventValidationError' as const;
  readonly code: 'INVALID_NAME' | 'INVALID_ID' | 'NOT_SERIALISABLE' | 'TOO_LARGE' | 'SCHEMA' | 'INVALID_EVENT';
  readonly eventName: string | undefined;
  readonly issues: readonly { message: string; path?: readonly PropertyKey[] }[];
  constructor(
    message: string,
    options: { code: EventValidationError['code']; eventName?: string; issues?: EventValidationError['issues'] } & ErrorOptions,
  ) {
    super(message, options);
    this.code = options.code;
    this.eventName = options.eventName;
    this.issues = options.issues ?? [];
  }
}

/**
 * A function definition, runtime option or transport option that cannot work. A TypeError, as a bad
 * argument to a constructor is in the platform, so code that catches those catches these too.
 */
export class ConfigError extends TypeError {
  override readonly name = 'ConfigError' as const;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** `send` or another call after `stop()` (or before `start()` where it needs the transport). */
export class RuntimeStoppedError extends Error {
  override readonly name = 'RuntimeStoppedError' as const;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** An attempt ran past the function's `timeoutMs`. Counts as a failed attempt. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError' as const;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Thrown into the handler when a step has spent its retries; the run fails unless the handler catches it. */
export class StepFailedError extends Error {
  override readonly name = 'StepFailedError' as const;
  readonly stepId: string;
  constructor(stepId: string, cause: SerializedError) {
    super(`step "${stepId}" failed: ${cause.message}`, { cause });
    this.stepId = stepId;
  }
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

/** Anything thrown becomes an Error (graphile-worker's coerceError). */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (thrown && typeof thrown === 'object' && 'message' in thrown && typeof thrown.message === 'string') {
    const e = new Error(thrown.message);
    if ('name' in thrown && typeof thrown.name === 'string') e.name = thrown.name;
    return e;
  }
  return new Error(typeof thrown === 'string' ? thrown : `non-error thrown: ${safeString(thrown)}`);
}

export function serializeError(thrown: unknown): SerializedError {
  const e = coerceError(thrown);
  return { name: e.name || 'Error', message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
