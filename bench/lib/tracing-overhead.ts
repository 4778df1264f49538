/**
 * @module
 * What tracing costs: one-step runs/s on one transport in three variants,
 * side by side in the same process and round:
 *   untraced     `tracing: false`: no tracing code path at all;
 *   no provider  the default (the OpenTelemetry binding loaded) with no tracer provider registered;
 *   exporter     a provider registered globally, with the AsyncLocalStorage context manager (as the
 *                Node SDK registers) and an InMemorySpanExporter behind a SimpleSpanProcessor.
 */
import { performance } from 'node:perf_hooks';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { defineFunction, type EventPayload } from '../../index.js';
import { withTimeout, type TransportKind } from './env.js';
import { signupEvent } from './signup-event.js';
import { startRuntime } from './start-runtime.js';

export interface TracingOverheadResult extends Record<string, number> {
  untracedRunsPerSec: number;
  noProviderRunsPerSec: number;
  exporterRunsPerSec: number;
  /** Spans the exporter held after its timed pass (three per run: send, attempt, step), as a check that it traced. */
  exportedSpans: number;
}

type Variant = 'untraced' | 'no-provider' | 'exporter';

async function oneStepRate(kind: TransportKind, variant: Variant, events: number, warmup: number): Promise<number> {
  const fn = defineFunction({ id: 'one-step', trigger: { event: 'user/created' } }, async ({ step }) => step.run('work', () => 1));
  const s = await startRuntime(kind, `tr${variant.slice(0, 2)}`, {
    functions: [fn],
    ...(variant === 'untraced' ? { tracing: false } : {}),
  });
  let completed = 0;
  let target = Infinity;
  let finish = () => {};
  s.runtime.on('run', (c) => {
    if (c.to === 'succeeded' && ++completed === target) finish();
  });
  const pass = async (from: number, n: number) => {
    completed = 0;
    target = n;
    const done = new Promise<void>((r) => (finish = r));
    const t0 = performance.now();
    for (let i = from; i < from + n; i += 100) {
      const list: EventPayload[] = [];
      for (let j = i; j < Math.min(from + n, i + 100); j++) list.push(signupEvent(j));
      await s.runtime.send(list);
    }
    await withTimeout(done, 120_000, `${n} runs on ${kind} (${variant})`);
    return completed / ((performance.now() - t0) / 1000);
  };
  try {
    await pass(0, warmup);
    return await pass(1_000_000, events);
  } finally {
    await s.stop();
  }
}

/** Runs every variant once; `round` rotates their order, so the one that runs first (on a colder process) changes each round. */
export async function tracingOverhead(kind: TransportKind, events: number, warmup: number, round = 0): Promise<TracingOverheadResult> {
  const variants: Variant[] = ['untraced', 'no-provider', 'exporter'];
  const order = [...variants.slice(round % 3), ...variants.slice(0, round % 3)];
  const rate: Partial<Record<Variant, number>> = {};
  let exportedSpans = 0;
  for (const variant of order) {
    if (variant !== 'exporter') {
      rate[variant] = await oneStepRate(kind, variant, events, warmup);
      continue;
    }
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    try {
      rate.exporter = await oneStepRate(kind, 'exporter', events, warmup);
      exportedSpans = exporter.getFinishedSpans().length;
    } finally {
      trace.disable();
      context.disable();
      await provider.shutdown();
    }
  }
  return {
    untracedRunsPerSec: rate.untraced ?? NaN,
    noProviderRunsPerSec: rate['no-provider'] ?? NaN,
    exporterRunsPerSec: rate.exporter ?? NaN,
    exportedSpans,
  };
}
