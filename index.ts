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
 *
 * The package's main entry: the core's public surface, and `createRuntime`
 * wired to the transports (`core/` itself knows none of them by name).
 */
import { createRuntime as createCoreRuntime, type Runtime, type RuntimeOptions as CoreRuntimeOptions } from './core/runtime.js';
import type { EventMap } from './core/events.js';
import type { Transport } from './core/transport.js';
import { transportResolver, type KnownTransportConfig } from './transports/resolve.js';
import { loadOtelTracing } from './adapters/otel/index.js';

export { Runtime, metricsContentType } from './core/runtime.js';
export type { Tracer, TraceSpan, TracingOption, SpanAttributes } from './core/tracing.js';
export type { ListRunsQuery, ReplayQuery } from './core/runtime.js';
export { runCursor } from './core/run-index.js';
export { defineFunction } from './core/function.js';
export { forEvents } from './core/events.js';
export type { EventMap, EventOf, TriggerOf, DataOf } from './core/events.js';
export type {
  CronTrigger,
  EventideFunction,
  FailureContext,
  FailureHandler,
  FunctionConfig,
  Handler,
  HandlerContext,
  Trigger,
  TriggerOption,
} from './core/function.js';
export type { InvokeOptions, InvokeTarget } from './core/invoke-step.js';
export type { StepTools, StepOptions } from './core/step.js';
export type { RunLogger } from './core/run-logger.js';
export type { Backoff, BackoffPolicy } from './core/backoff.js';
export type { Duration } from './core/duration.js';
export {
  NonRetriableError,
  RetryAfterError,
  EventValidationError,
  ConfigError,
  RuntimeStoppedError,
  TimeoutError,
  StepFailedError,
} from './core/errors.js';
export type { SerializedError } from './core/errors.js';
export type {
  EventPayload,
  StoredEvent,
  RunRecord,
  RunStatus,
  RunStateChange,
  StepRecord,
  LogLine,
  AttemptError,
  RuntimeEvents,
} from './core/types.js';
export type { Logger } from './core/logger.js';
export { silentLogger } from './core/logger.js';
export { systemClock, TestClock } from './core/clock.js';
export type { Clock } from './core/clock.js';
export type { TransportKind } from './transports/resolve.js';
export type { Backlog } from './core/transport.js';
export { TransportError } from './core/transport.js';
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
  Position,
  WatchGap,
  WatchOptions,
  Watching,
} from './core/transport.js';
export type { RunWatchListener } from './core/run-watch.js';
export type { StandardSchemaV1, SchemaMap } from './core/schema.js';

/** A transport by configuration: `{ kind: 'redis', url, maxLen }`, `{ kind: 'nats', servers }`, `{ kind: 'memory' }`. */
export type TransportConfig = KnownTransportConfig;

/** A URL (`memory://`, `nats://…`, `redis://…`, `redis+cluster://…`), a config object, or a Transport. */
export type TransportOption = string | TransportConfig | Transport;

export type RuntimeOptions = Omit<CoreRuntimeOptions, 'transport'> & {
  /** A URL, a config object or a Transport. Default: the `EVENTIDE_TRANSPORT` environment variable, else memory. */
  transport?: TransportOption;
};

/**
 * The object an app embeds: it sends events, runs the functions subscribed to them, and lets runs be watched and inspected.
 * `createRuntime<Events>()` types `send` by an event map, so an unknown name or wrong data does not compile.
 */
export function createRuntime<Events extends EventMap = EventMap>(options: RuntimeOptions = {}): Runtime<Events> {
  // Traced through OpenTelemetry when @opentelemetry/api is installed and a provider is registered, unless `tracing: false`.
  return createCoreRuntime<Events>({ ...options, tracing: options.tracing ?? loadOtelTracing }, transportResolver);
}
