/**
 * @module
 * The OpenTelemetry binding of the tracer seam (core/tracing.ts), over
 * `@opentelemetry/api` (an optional peer dependency: this module loads it
 * only when asked, and nothing here runs without it).
 *
 * The package entry's `createRuntime` uses `loadOtelTracing()` unless told
 * `tracing: false`: when `@opentelemetry/api` is installed, runs are traced
 * whenever a tracer provider is registered globally (as the Node SDK does);
 * with none registered, each send and attempt costs one check and makes no
 * span. Pass `tracing: await loadOtelTracing({ tracerProvider })` to trace
 * through a provider of your own instead of the global one.
 *
 * @example
 * ```ts
 * import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
 * new NodeTracerProvider({ spanProcessors: [...] }).register();
 * const runtime = createRuntime({ functions });   // traced: send() → run → steps, one trace
 * ```
 */
import type * as Api from '@opentelemetry/api';
import type { SpanAttributes, TraceSpan, Tracer } from '../../core/tracing.js';

type OtelApi = typeof Api;

export interface OtelTracingOptions {
  /** Trace through this provider rather than the globally registered one (spans are then always made). */
  tracerProvider?: Api.TracerProvider;
}

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

class OtelSpan implements TraceSpan {
  private made: string | undefined;
  constructor(
    private readonly api: OtelApi,
    private readonly tracer: Api.Tracer,
    readonly span: Api.Span,
  ) {}

  get traceparent(): string {
    if (this.made === undefined) {
      const c = this.span.spanContext();
      this.made = `00-${c.traceId}-${c.spanId}-${(c.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
    }
    return this.made;
  }

  child(name: string, attributes: SpanAttributes, startTime?: number): TraceSpan {
    const parent = this.api.trace.setSpan(this.api.ROOT_CONTEXT, this.span);
    const options: Api.SpanOptions = startTime === undefined ? { attributes } : { attributes, startTime };
    return new OtelSpan(this.api, this.tracer, this.tracer.startSpan(name, options, parent));
  }

  within<T>(fn: () => T): T {
    const { context, trace } = this.api;
    return context.with(trace.setSpan(context.active(), this.span), fn);
  }

  setAttribute(key: string, value: string | number | boolean): void {
    this.span.setAttribute(key, value);
  }

  end(error?: Error): void {
    if (error) {
      this.span.recordException(error);
      this.span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: error.message });
    }
    this.span.end();
  }
}

class OtelTracer implements Tracer {
  private readonly tracer: Api.Tracer;
  /** What the global proxy hands out while no provider is registered. */
  private readonly noop: Api.TracerProvider | undefined;

  constructor(
    private readonly api: OtelApi,
    private readonly provider: Api.TracerProvider | undefined,
  ) {
    this.tracer = (provider ?? api.trace).getTracer('eventide');
    this.noop = provider ? undefined : new api.ProxyTracerProvider().getDelegate();
  }

  /** True while spans would record: a provider of our own, or one registered globally. */
  private recording(): boolean {
    if (this.provider) return true;
    const global = this.api.trace.getTracerProvider() as Partial<Api.ProxyTracerProvider>;
    return typeof global.getDelegate !== 'function' || global.getDelegate() !== this.noop;
  }

  send(name: string, attributes: SpanAttributes, parent?: TraceSpan): TraceSpan | undefined {
    if (!this.recording()) return undefined;
    const { api } = this;
    const ctx = parent instanceof OtelSpan ? api.trace.setSpan(api.ROOT_CONTEXT, parent.span) : api.context.active();
    return new OtelSpan(api, this.tracer, this.tracer.startSpan(name, { kind: api.SpanKind.PRODUCER, attributes }, ctx));
  }

  attempt(name: string, attributes: SpanAttributes, traceparent: string | undefined): TraceSpan | undefined {
    if (!this.recording()) return undefined;
    const { api } = this;
    const remote = traceparent === undefined ? undefined : parseTraceparent(api, traceparent);
    const ctx = remote ? api.trace.setSpanContext(api.ROOT_CONTEXT, remote) : api.ROOT_CONTEXT;
    return new OtelSpan(api, this.tracer, this.tracer.startSpan(name, { kind: api.SpanKind.CONSUMER, attributes }, ctx));
  }
}

/** A W3C traceparent as a remote span context; undefined when malformed (the run is then the root of a trace of its own). */
function parseTraceparent(api: OtelApi, value: string): Api.SpanContext | undefined {
  const m = traceparentPattern.exec(value);
  if (!m) return undefined;
  const context: Api.SpanContext = { traceId: m[1], spanId: m[2], traceFlags: parseInt(m[3], 16), isRemote: true };
  return api.isSpanContextValid(context) ? context : undefined;
}

/** The binding over an `@opentelemetry/api` module you imported yourself. */
export function otelTracing(api: OtelApi, options: OtelTracingOptions = {}): Tracer {
  return new OtelTracer(api, options.tracerProvider);
}

/** Loads `@opentelemetry/api` and binds it; undefined when it is not installed. */
export async function loadOtelTracing(options: OtelTracingOptions = {}): Promise<Tracer | undefined> {
  let api: OtelApi;
  try {
    api = await import('@opentelemetry/api');
  } catch {
    return undefined;
  }
  return otelTracing(api, options);
}
