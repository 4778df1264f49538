/**
 * @module
 * The tracer seam: what the runtime asks of a tracing library, so that core
 * knows none by name. The OpenTelemetry binding (adapters/otel) implements it;
 * with tracing off the runtime holds no tracer at all, and every place that
 * would trace costs one check of `undefined`.
 *
 * What gets traced:
 *
 *   send()  ──► span "send <event>" (producer) ──traceparent in the envelope──►
 *   attempt ──► span "run <function>" (consumer, child of the send) ──► span "step.<kind> <id>" per step
 *                                                                    └─► step.sendEvent: "send <event>", child of its step
 *
 * The trace context travels inside the event's envelope as a W3C
 * `traceparent`, so every run the event starts, every attempt of those runs
 * (retries and sleeps deliver the same envelope again), and every event sent
 * from a step belong to the trace of the code that sent the first event.
 */
import type { StepKind } from './types.js';

export type SpanAttributes = Record<string, string | number | boolean>;

/** One span, as the runtime handles it. */
export interface TraceSpan {
  /** This span as a W3C traceparent, for the events sent under it. */
  readonly traceparent: string | undefined;
  /** A child span; `startTime` (epoch ms) when it began before now (a sleep that ends in this attempt). */
  child(name: string, attributes: SpanAttributes, startTime?: number): TraceSpan;
  /** Runs `fn` with this span active, so the spans user code makes inside nest under it. */
  within<T>(fn: () => T): T;
  setAttribute(key: string, value: string | number | boolean): void;
  /** Ends the span, as failed when `error` is given. */
  end(error?: Error): void;
}

export interface Tracer {
  /**
   * A producer span for one `send()`: a child of `parent` when a step sends, else of whatever span is
   * active where `send()` is called (an HTTP request's, say). Undefined when nothing records.
   */
  send(name: string, attributes: SpanAttributes, parent?: TraceSpan): TraceSpan | undefined;
  /** A consumer span for one attempt of a run, a child of the `traceparent` its event carried. Undefined when nothing records. */
  attempt(name: string, attributes: SpanAttributes, traceparent: string | undefined): TraceSpan | undefined;
}

/**
 * What `createRuntime({ tracing })` takes: a Tracer; `false` for none; or a loader the runtime awaits
 * once (the package entry's default loads the OpenTelemetry binding when `@opentelemetry/api` is installed).
 */
export type TracingOption = Tracer | false | (() => Promise<Tracer | undefined>);

/** Attribute names: OpenTelemetry's messaging conventions, and eventide's own. */
export const attr = {
  system: 'messaging.system',
  operation: 'messaging.operation',
  destination: 'messaging.destination.name',
  messageId: 'messaging.message.id',
  batchCount: 'messaging.batch.message_count',
  functionId: 'eventide.function.id',
  runId: 'eventide.run.id',
  attempt: 'eventide.attempt',
  stepId: 'eventide.step.id',
  stepKind: 'eventide.step.kind',
  outcome: 'eventide.outcome',
} as const;

/** The messaging operation each step kind performs. A new step kind is one line here (the compiler asks for it). */
export const stepOperation: Record<StepKind, string> = {
  run: 'process',
  sleep: 'process',
  sendEvent: 'publish',
  invoke: 'publish',
};

export function stepSpanName(kind: StepKind, id: string): string {
  return `step.${kind} ${id}`;
}
