/**
 * @module
 * eventide: events and durable background functions for a Node service.
 *
 * @example
 * ```ts
 * import { createRuntime, defineFunction } from 'eventide';
 * const welcome = defineFunction({ id: 'welcome', trigger: { event: 'user/created' } }, async ({ event, step }) => {
 *   await step.run('send', () => mailer.send(event.data.email));
 * });
 * const runtime = createRuntime({ functions: [welcome] });
 * await runtime.start();
 * await runtime.send({ name: 'user/created', data: { email: 'a@b.c' } });
 * ```
 */
export { createRuntime, Runtime } from './runtime.js';
export type { RuntimeOptions, ListRunsQuery, ReplayQuery } from './runtime.js';
export { defineFunction } from './function.js';
export type { EventideFunction, FunctionConfig, Handler, HandlerContext, Trigger } from './function.js';
export type { StepTools, StepOptions } from './step.js';
export type { RunLogger } from './run-logger.js';
export type { Backoff, BackoffPolicy } from './backoff.js';
export type { Duration } from './duration.js';
export {
  NonRetriableError,
  RetryAfterError,
  EventValidationError,
  ConfigError,
  RuntimeStoppedError,
  TimeoutError,
  StepFailedError,
} from './errors.js';
export type { SerializedError } from './errors.js';
export type { EventPayload, StoredEvent, RunRecord, RunStatus, RunStateChange, StepRecord, LogLine, RuntimeEvents } from './types.js';
export type { Logger } from './logger.js';
export { silentLogger } from './logger.js';
export { systemClock, TestClock } from './clock.js';
export type { Clock } from './clock.js';
export type { TransportConfig, TransportOption } from './resolve-transport.js';
export { TransportError } from './transport.js';
export type {
  Transport,
  Delivery,
  DeliveryHandler,
  ConsumeOptions,
  Consumer,
  KVStore,
  StoredValue,
  Revision,
  PublishOptions,
  PublishResult,
  HistoryEntry,
  DeadLetter,
  Unsubscribe,
} from './transport.js';
export type { StandardSchemaV1, SchemaMap } from './schema.js';
