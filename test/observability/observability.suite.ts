/**
 * Traces and metrics on a real transport: one suite, called by a file per
 * transport. Spans are read from OpenTelemetry's InMemorySpanExporter
 * behind a provider registered globally (with the AsyncLocalStorage context
 * manager, as the Node SDK registers one); `/metrics` is scraped through the
 * HTTP handler and read by a Prometheus text-format parser.
 */
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '../../adapters/http/index.js';
import {
  createRuntime,
  defineFunction,
  NonRetriableError,
  RetryAfterError,
  silentLogger,
  type Runtime,
  type RuntimeOptions,
} from '../../index.js';

export interface ObservabilitySuiteOptions {
  name: string;
  transport: (namespace: string) => RuntimeOptions['transport'];
  cleanup?: (namespace: string) => Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(read: () => Promise<T> | T, check: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

const token = 'metrics-test-token-0123456789';
let counter = 0;

export function observabilitySuite({ name, transport, cleanup }: ObservabilitySuiteOptions): void {
  describe(`observability: ${name}`, () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const register = () => {
      trace.setGlobalTracerProvider(provider);
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    };
    const open: { rt: Runtime; ns: string }[] = [];

    beforeAll(register);
    afterAll(async () => {
      trace.disable();
      context.disable();
      await provider.shutdown();
    });
    afterEach(async () => {
      for (const { rt, ns } of open.splice(0)) {
        await rt.stop({ timeoutMs: 2_000 });
        await cleanup?.(ns);
      }
      exporter.reset();
    });

    async function start(options: Omit<RuntimeOptions, 'transport' | 'namespace'>): Promise<Runtime> {
      const ns = `obs_${name.replace(/\W/g, '')}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
      const rt = createRuntime({ transport: transport(ns), namespace: ns, logger: silentLogger, ...options });
      open.push({ rt, ns });
      await rt.start();
      return rt;
    }

    const ended = (rt: Runtime, n: number) =>
      until(
        () => rt.listRuns({ limit: 1000 }),
        (runs) => runs.length >= n && runs.every((r) => ['succeeded', 'failed', 'cancelled', 'skipped'].includes(r.status)),
        `${n} runs to end`,
      );
    const spans = () => exporter.getFinishedSpans();
    const named = (n: string) => spans().filter((s) => s.name === n);
    const one = (n: string): ReadableSpan => {
      const found = named(n);
      expect(
        found,
        `spans named "${n}" among ${spans()
          .map((s) => s.name)
          .join(', ')}`,
      ).toHaveLength(1);
      return found[0];
    };
    const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

    it('one trace from an HTTP request span through send, each run, its steps, and the events its steps send', async () => {
      const signup = defineFunction({ id: 'on-signup', trigger: { event: 'user/created' } }, async ({ event, step }) => {
        const user = await step.run('load-user', () => {
          // A span user code makes inside a step is a child of the step's span.
          trace.getTracer('app').startSpan('db.query').end();
          return { id: (event.data as { id: string }).id };
        });
        await step.sendEvent('announce', { name: 'user/announced', data: user });
        return user;
      });
      const announce = defineFunction({ id: 'on-announce', trigger: { event: 'user/announced' } }, async ({ step }) => {
        await step.run('log', () => 'ok');
      });
      const rt = await start({ functions: [signup, announce] });
      const request = trace.getTracer('http').startSpan('POST /signup', { kind: SpanKind.SERVER });
      const { ids } = await context.with(trace.setSpan(context.active(), request), () =>
        rt.send({ name: 'user/created', data: { id: 'u1' } }),
      );
      request.end();
      await ended(rt, 2);
      await until(spans, () => named('run on-announce').length === 1 && named('step.run log').length === 1, 'the last spans');

      const traceId = request.spanContext().traceId;
      for (const s of spans().filter((x) => x.instrumentationScope.name === 'eventide')) expect(s.spanContext().traceId).toBe(traceId);
      const send = one('send user/created');
      expect(send.kind).toBe(SpanKind.PRODUCER);
      expect(parentOf(send)).toBe(request.spanContext().spanId);
      expect(send.attributes).toMatchObject({
        'messaging.system': 'eventide',
        'messaging.operation': 'publish',
        'messaging.destination.name': 'user/created',
      });
      const run = one('run on-signup');
      expect(run.kind).toBe(SpanKind.CONSUMER);
      expect(parentOf(run)).toBe(send.spanContext().spanId);
      const signupRun = (await rt.listRuns({ functionId: 'on-signup' }))[0];
      expect(run.attributes).toMatchObject({
        'messaging.system': 'eventide',
        'messaging.operation': 'process',
        'messaging.destination.name': 'user/created',
        'messaging.message.id': ids[0],
        'eventide.function.id': 'on-signup',
        'eventide.run.id': signupRun.id,
        'eventide.attempt': 1,
        'eventide.outcome': 'succeeded',
      });
      const load = one('step.run load-user');
      expect(parentOf(load)).toBe(run.spanContext().spanId);
      expect(load.attributes).toMatchObject({ 'eventide.step.id': 'load-user', 'eventide.run.id': signupRun.id });
      expect(parentOf(one('db.query'))).toBe(load.spanContext().spanId);
      const stepSend = one('step.sendEvent announce');
      expect(parentOf(stepSend)).toBe(run.spanContext().spanId);
      const sent = one('send user/announced');
      expect(parentOf(sent)).toBe(stepSend.spanContext().spanId);
      const second = one('run on-announce');
      expect(parentOf(second)).toBe(sent.spanContext().spanId);
      expect(parentOf(one('step.run log'))).toBe(second.spanContext().spanId);
    });

    it('every attempt is a span under the same send: a failed one is marked as an error, a sleep spans its wait', async () => {
      let calls = 0;
      const flaky = defineFunction({ id: 'flaky', trigger: { event: 'job/flaky' }, retries: 2 }, async ({ step }) => {
        await step.run('try', () => {
          if (++calls === 1) throw new RetryAfterError('not yet', 50);
          return calls;
        });
        await step.sleep('nap', '60ms');
        return 'done';
      });
      const doomed = defineFunction({ id: 'doomed', trigger: { event: 'job/doomed' } }, async () => {
        throw new NonRetriableError('no way');
      });
      const rt = await start({ functions: [flaky, doomed] });
      await rt.send([
        { name: 'job/flaky', data: {} },
        { name: 'job/doomed', data: {} },
      ]);
      await ended(rt, 2);
      await until(spans, () => named('run flaky').length === 3, 'three attempts of flaky (a retry, then a sleep)');
      const send = one('send job/flaky');
      const attempts = named('run flaky').sort(
        (a, b) => Number(a.attributes['eventide.attempt']) - Number(b.attributes['eventide.attempt']),
      );
      for (const a of attempts) expect(parentOf(a)).toBe(send.spanContext().spanId);
      expect(attempts.map((a) => a.attributes['eventide.outcome'])).toEqual(['retrying', 'sleeping', 'succeeded']);
      expect(attempts[0].status.code).toBe(SpanStatusCode.ERROR);
      expect(attempts[2].status.code).not.toBe(SpanStatusCode.ERROR);
      const nap = one('step.sleep nap');
      expect(parentOf(nap)).toBe(attempts[2].spanContext().spanId);
      const napMs = (nap.duration[0] * 1e9 + nap.duration[1]) / 1e6;
      expect(napMs).toBeGreaterThanOrEqual(50);
      const failed = one('run doomed');
      expect(failed.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'no way' });
      expect(failed.attributes['eventide.outcome']).toBe('failed');
      expect(failed.events.some((e) => e.name === 'exception')).toBe(true);
    });

    it('makes no span with tracing: false, nor once no provider is registered', async () => {
      const fn = defineFunction({ id: 'quiet', trigger: { event: 'job/quiet' } }, async ({ step }) => step.run('s', () => 1));
      const off = await start({ functions: [fn], tracing: false });
      await off.send({ name: 'job/quiet', data: {} });
      await ended(off, 1);
      expect(spans()).toHaveLength(0);
      trace.disable();
      try {
        const rt = await start({ functions: [fn] });
        await rt.send({ name: 'job/quiet', data: {} });
        await ended(rt, 1);
        expect(spans()).toHaveLength(0);
      } finally {
        register();
      }
    });

    it('serves /metrics: runs started and ended, durations, start latency, runs executing and the backlog', async () => {
      let release = () => {};
      const gate = new Promise<void>((r) => (release = r));
      const ok = defineFunction({ id: 'ok', trigger: { event: 'job/ok' } }, async ({ step }) => step.run('s', () => 1));
      const bad = defineFunction({ id: 'bad', trigger: { event: 'job/bad' } }, async () => {
        throw new NonRetriableError('refused');
      });
      const slow = defineFunction({ id: 'slow', trigger: { event: 'job/slow' } }, async () => {
        await gate;
      });
      const rt = await start({ functions: [ok, bad, slow], concurrency: 1, tracing: false });
      await rt.send([
        { name: 'job/ok', data: {} },
        { name: 'job/ok', data: {} },
        { name: 'job/bad', data: {} },
      ]);
      await ended(rt, 3);
      await rt.send([1, 2, 3].map(() => ({ name: 'job/slow', data: {} })));
      const handler = createHttpHandler(rt, { token });
      let typed: MetricFamily[] = [];
      const scrape = async (): Promise<MetricFamily[]> => {
        const res = await handler.handle({ method: 'GET', url: '/eventide/metrics', headers: { authorization: `Bearer ${token}` } });
        expect(res?.status).toBe(200);
        expect(res?.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
        const text = String(res?.body);
        typed = parsePrometheusTextFormat(text);
        // The parser folds a histogram's labelled series into one; read without the histogram TYPE lines, each
        // _bucket, _sum and _count series comes back as a family of its own, labels intact.
        return [...typed, ...parsePrometheusTextFormat(text.replace(/^# TYPE \S+ histogram\n/gm, ''))];
      };
      // A name may come back as several families (each histogram series in turn): look through all of them.
      const value = (families: MetricFamily[], family: string, labels: Record<string, string>) =>
        Number(
          families
            .filter((f) => f.name === family)
            .flatMap((f) => f.metrics)
            .find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? NaN,
        );
      const backlogOf = (families: MetricFamily[], fn: string) =>
        ['ready', 'delayed', 'in_flight'].reduce(
          (sum, state) => sum + value(families, 'eventide_backlog_messages', { function: fn, state }),
          0,
        );
      const busy = await until(
        scrape,
        (f) => value(f, 'eventide_runs_executing', { function: 'slow' }) === 1 && backlogOf(f, 'slow') === 3,
        'one slow run executing, three unsettled',
      );
      expect(value(busy, 'eventide_runs_started_total', { function: 'ok' })).toBe(2);
      expect(value(busy, 'eventide_runs_ended_total', { function: 'ok', status: 'succeeded' })).toBe(2);
      expect(value(busy, 'eventide_runs_ended_total', { function: 'bad', status: 'failed' })).toBe(1);
      expect(value(busy, 'eventide_events_sent_total', { event: 'job/ok' })).toBe(2);
      expect(value(busy, 'eventide_dead_letters', {})).toBe(0);
      for (const h of ['eventide_attempt_duration_seconds', 'eventide_step_duration_seconds', 'eventide_event_start_latency_seconds'])
        expect(typed.find((f) => f.name === h)?.type).toBe('HISTOGRAM');
      for (const c of ['eventide_runs_started_total', 'eventide_runs_ended_total'])
        expect(typed.find((f) => f.name === c)?.type).toBe('COUNTER');
      expect(typed.find((f) => f.name === 'eventide_backlog_messages')?.type).toBe('GAUGE');
      const attempts = { function: 'ok', outcome: 'succeeded' };
      expect(value(busy, 'eventide_attempt_duration_seconds_count', attempts)).toBe(2);
      expect(value(busy, 'eventide_attempt_duration_seconds_bucket', { ...attempts, le: '+Inf' })).toBe(2);
      expect(value(busy, 'eventide_attempt_duration_seconds_bucket', { ...attempts, le: '300' })).toBe(2);
      expect(value(busy, 'eventide_attempt_duration_seconds_count', { function: 'bad', outcome: 'failed' })).toBe(1);
      expect(value(busy, 'eventide_step_duration_seconds_count', { function: 'ok', kind: 'run' })).toBe(2);
      expect(value(busy, 'eventide_event_start_latency_seconds_count', { function: 'ok' })).toBe(2);
      expect(value(busy, 'eventide_event_start_latency_seconds_sum', { function: 'ok' })).toBeGreaterThanOrEqual(0);

      release();
      const idle = await until(
        scrape,
        (f) => backlogOf(f, 'slow') === 0 && value(f, 'eventide_runs_ended_total', { function: 'slow', status: 'succeeded' }) === 3,
        'the slow runs done',
      );
      expect(value(idle, 'eventide_runs_executing', { function: 'slow' })).toBe(0);

      const refused = await handler.handle({ method: 'GET', url: '/eventide/metrics', headers: {} });
      expect(refused?.status).toBe(401);
      const openHandler = createHttpHandler(rt, { token, openMetrics: true });
      const opened = await openHandler.handle({ method: 'GET', url: '/eventide/metrics', headers: {} });
      expect(opened?.status).toBe(200);
      expect(parsePrometheusTextFormat(String(opened?.body)).some((f) => f.name === 'eventide_runs_started_total')).toBe(true);
      handler.close();
      openHandler.close();
    });
  });
}
