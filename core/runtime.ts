/**
 * @module
 * `createRuntime`: the object an app embeds. It sends events, runs the
 * functions subscribed to them (one consumer group per function on the
 * transport's events subject), announces every run-state change, and lets
 * runs be inspected, cancelled and replayed.
 */
import { EventEmitter } from 'eventemitter3';
import type { Attempt, ExecutorDeps } from './attempt.js';
import { BroadcastWindow } from './broadcast-window.js';
import { systemClock, type Clock } from './clock.js';
import { decode } from './codec/msgpack.js';
import { CronTicker } from './cron/ticker.js';
import { toMs, type Duration } from './duration.js';
import { ConfigError, RuntimeStoppedError, coerceError } from './errors.js';
import type { EventMap, EventOf } from './events.js';
import { handleDelivery } from './executor.js';
import { describeFlow, type FlowDescription } from './flow/describe.js';
import { Gate, type GateDeps } from './flow/gate.js';
import type { EventideFunction } from './function.js';
import { describeTriggers } from './triggers.js';
import { Inspector, type ListedEvent, type ListRunsQuery, type ReplayQuery } from './inspect.js';
import { registerFunctions } from './function-registry.js';
import { failureFunctionOf } from './on-failure.js';
import { EventIntake, type Prepared } from './intake.js';
import { isNamespace, numberOption } from './lib/checks.js';
import { defaultLogger, type Logger } from './logger.js';
import { exposition } from './metrics/exposition.js';
import { RunMetrics } from './metrics/run-metrics.js';
import { Retention } from './retention.js';
import { listOlderRuns } from './run-reindex.js';
import { runKey } from './run-record.js';
import type { SchemaMap } from './schema.js';
import { Slots } from './slots.js';
import {
  isTransport,
  type Consumer,
  type DeadLetter,
  type Delivery,
  type Transport,
  type TransportConfig,
  type TransportOption,
  type TransportResolver,
  type Unsubscribe,
  type WatchOptions,
  type Watching,
  watching,
} from './transport.js';
import { attr, type TraceSpan, type Tracer, type TracingOption } from './tracing.js';
import { watchRuns, type RunWatchListener } from './run-watch.js';
import { terminalStatuses, type RunRecord, type RunStateChange, type RuntimeEvents, type StoredEvent } from './types.js';

export type { ListedEvent, ListRunsQuery, ReplayQuery } from './inspect.js';

export interface SendOptions {
  /** Deliver no earlier than this from now (an event without a `ts` is dated then). A future `ts` delays its event too. */
  delay?: Duration;
}

export interface RuntimeOptions {
  /** A URL (`memory://`, `nats://…`, `redis://…`), a config object, or a Transport. Default: `EVENTIDE_TRANSPORT`, else memory. */
  transport?: TransportOption;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  functions?: EventideFunction<any, any>[];
  /** Prefix of every stream, subject and key. Default 'eventide'. */
  namespace?: string;
  /** Execute functions in this process (default true); false: send and watch only. */
  worker?: boolean;
  /** Most runs executing at once in this process, across its functions. Default 100. */
  concurrency?: number;
  /** A delivery with no ack and no sign of life for this long goes to another worker. Default 30 s. */
  ackWaitMs?: number;
  logger?: Logger;
  /** Standard Schema v1 validators by event name, checked at `send`. */
  schemas?: SchemaMap;
  /** Largest encoded event accepted by `send`. Default 512 KiB. */
  maxEventBytes?: number;
  /** Log lines kept per run. Default 200. */
  maxLogsPerRun?: number;
  /**
   * How long finished runs stay in the store: `age` after they ended (default 7 days), and at most `count`
   * succeeded or cancelled runs ended by this process (default 10,000 on the memory transport, unbounded
   * on durable ones). Failed runs stay for `age`, so they can be replayed.
   */
  keepFinishedRuns?: { age?: Duration; count?: number };
  clock?: Clock;
  /**
   * OpenTelemetry traces (see core/tracing.ts): a Tracer, `false` for none, or a loader. From the package
   * entry the default loads the OpenTelemetry binding when `@opentelemetry/api` is installed; spans are
   * made only while a tracer provider is registered.
   */
  tracing?: TracingOption;
}

/** A function as `listFunctions` describes it. */
export interface FunctionSummary {
  id: string;
  /** Its triggers in words: event names, and `cron <expression>` for each schedule. */
  trigger: string;
  retries: number;
  limits?: FlowDescription;
  /** Each cron schedule with its next tick (epoch milliseconds). */
  crons?: { cron: string; tz?: string; nextTick?: number }[];
  /** The earliest next tick of its schedules. */
  nextTick?: number;
}

/** The Content-Type of `runtime.metrics()`'s text, for an HTTP answer. */
export const metricsContentType = exposition;

type Phase = 'idle' | 'starting' | 'started' | 'stopping' | 'stopped';

export class Runtime<Events extends EventMap = EventMap> {
  private readonly emitter = new EventEmitter<RuntimeEvents>();
  private readonly functions = new Map<string, EventideFunction>();
  private readonly intake: EventIntake;
  private readonly inspector: Inspector;
  private readonly window: BroadcastWindow;
  private readonly options: Required<Pick<RuntimeOptions, 'worker' | 'concurrency' | 'ackWaitMs' | 'maxLogsPerRun'>>;
  private readonly namespace: string;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly transportOption: Transport | TransportConfig;
  private readonly active = new Map<string, Attempt>();
  private transport: Transport | undefined;
  private connecting: Promise<Transport> | undefined;
  private consumers: Consumer[] = [];
  private unwatch: Unsubscribe[] = [];
  private phase: Phase = 'idle';
  private deps: ExecutorDeps | undefined;
  private retention: Retention | undefined;
  private slots: Slots | undefined;
  private ticker: CronTicker | undefined;
  private readonly keepFinishedRuns: { age?: Duration; count?: number };
  private readonly runMetrics = new RunMetrics();
  private tracer: Tracer | undefined;
  /** Set while the tracing loader runs; sends and `start` wait for it once. */
  private tracerLoading: Promise<void> | undefined;
  private readonly retentionAgeMs: number;

  constructor(
    options: RuntimeOptions = {},
    /** Turns a URL or config into a transport; without one, `transport` must be a Transport instance. */
    private readonly resolver?: TransportResolver,
  ) {
    const namespace = options.namespace ?? 'eventide';
    if (!isNamespace(namespace)) throw new ConfigError(`namespace ${JSON.stringify(namespace)} must be letters, digits, '-' or '_'`);
    this.namespace = namespace;
    this.logger = options.logger ?? defaultLogger;
    this.clock = options.clock ?? systemClock;
    const whole = (name: string, value: unknown, fallback: number) => numberOption(value, { name, fallback, integer: true });
    this.options = {
      worker: options.worker ?? true,
      concurrency: whole('concurrency', options.concurrency, 100),
      ackWaitMs: whole('ackWaitMs', options.ackWaitMs, 30_000),
      maxLogsPerRun: whole('maxLogsPerRun', options.maxLogsPerRun, 200),
    };
    const maxEventBytes = whole('maxEventBytes', options.maxEventBytes, 512 * 1024);
    this.keepFinishedRuns = options.keepFinishedRuns ?? {};
    this.retentionAgeMs = toMs(this.keepFinishedRuns.age ?? '7d', 'keepFinishedRuns.age');
    const count = this.keepFinishedRuns.count;
    if (count !== undefined && !(count === Infinity || (Number.isInteger(count) && count >= 0)))
      throw new ConfigError('keepFinishedRuns.count must be a whole number ≥ 0 (or Infinity)');
    const option = options.transport ?? process.env.EVENTIDE_TRANSPORT;
    this.transportOption = isTransport(option) ? option : this.resolverFor(option).parse(option);
    for (const fn of options.functions ?? []) {
      if (!fn || typeof fn.id !== 'string' || typeof fn.matches !== 'function')
        throw new ConfigError('functions must be made with defineFunction');
      // A function's onFailure runs as a function of its own, `<id>-failure`.
      for (const f of [fn, failureFunctionOf(fn)]) {
        if (!f) continue;
        if (this.functions.has(f.id)) throw new ConfigError(`two functions share the id "${f.id}"`);
        this.functions.set(f.id, f);
      }
    }
    const tracing = options.tracing;
    if (typeof tracing === 'function') {
      this.tracerLoading = tracing().then(
        (tracer) => {
          this.tracer = tracer;
          this.tracerLoading = undefined;
        },
        (e: unknown) => {
          this.tracerLoading = undefined;
          this.logger.warn('tracing could not be loaded; runs go on untraced', { error: coerceError(e).message });
        },
      );
    } else if (tracing) this.tracer = tracing;
    this.intake = new EventIntake(this.functions.values(), options.schemas ?? {}, maxEventBytes);
    this.window = new BroadcastWindow(
      () => this.transport,
      (e) => this.logger.warn('could not broadcast run-state changes', { error: coerceError(e).message }),
    );
    this.inspector = new Inspector({
      transport: async () => this.transport ?? (await this.connect()),
      functions: this.functions,
      clock: this.clock,
      finishedExpireMs: () => this.retention?.expireMs(),
      announce: (change) => this.announce(change),
      cancelLocal: (runId) => this.active.get(runId)?.cancel(),
      leaveQueues: (record, transport) => this.leaveQueues(record, transport),
    });
  }

  private resolverFor(option: string | TransportConfig | undefined): TransportResolver {
    if (this.resolver) return this.resolver;
    throw new ConfigError(
      `transport ${JSON.stringify(typeof option === 'string' ? option : option?.kind)} needs a resolver: import createRuntime from 'eventide', or pass a Transport instance`,
    );
  }

  /** Connects the transport and, unless `worker: false`, starts consuming for every function. */
  async start(): Promise<void> {
    if (this.phase === 'started' || this.phase === 'starting') return;
    if (this.phase === 'stopping' || this.phase === 'stopped')
      throw new RuntimeStoppedError('this runtime was stopped; create a new one to start again');
    this.phase = 'starting';
    try {
      const transport = await this.connect();
      this.unwatch.push(await transport.watch('runs', (bytes) => this.onRemoteChanges(bytes)));
      this.unwatch.push(await transport.watch('control', (bytes) => this.onControl(bytes)));
      if (this.options.worker) {
        // Other runtimes of the namespace learn which functions are served here (for `step.invoke`).
        await registerFunctions(transport.store, [...this.functions.keys()]);
        listOlderRuns(transport.store, this.retention?.expireMs(), () => this.phase === 'starting' || this.phase === 'started').catch(
          (e: unknown) => this.logger.warn('could not list runs stored by an older eventide', { error: coerceError(e).message }),
        );
        this.beat();
        const deps = this.executorDeps(transport);
        const slots = (this.slots = new Slots(this.options.concurrency));
        for (const fn of this.functions.values()) {
          const gate = this.gateOf(fn);
          const run = (d: Delivery) => handleDelivery(fn, d, deps, gate).finally(() => slots.release());
          const handler = (d: Delivery) => {
            const slot = slots.acquire(d);
            return slot === true ? run(d) : slot.then((granted) => (granted ? run(d) : undefined));
          };
          this.consumers.push(
            await transport.consume('events', fn.id, handler, {
              concurrency: this.options.concurrency,
              ackWaitMs: this.options.ackWaitMs,
            }),
          );
        }
        const scheduled = [...this.functions.values()].filter((f) => f.crons.length > 0);
        if (scheduled.length > 0) {
          this.ticker = new CronTicker(
            scheduled,
            this.clock,
            (subject, data, options) => transport.publish(subject, data, options),
            this.logger,
          );
          this.ticker.start();
        }
      }
      this.phase = 'started';
    } catch (e) {
      this.phase = 'idle';
      await this.teardown(0);
      throw e;
    }
  }

  /**
   * Drains: takes no new deliveries, lets attempts in flight finish for up
   * to `timeoutMs`, then hands whatever is left back to the transport for
   * another worker (or the next start). Nothing accepted is lost.
   */
  async stop({ timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.phase === 'stopped' || this.phase === 'stopping') return;
    this.phase = 'stopping';
    await this.teardown(timeoutMs);
    this.phase = 'stopped';
  }

  private readonly gates = new Map<string, Gate>();
  private gateOf(fn: EventideFunction): Gate | undefined {
    if (!fn.flow || !this.deps) return undefined;
    let gate = this.gates.get(fn.id);
    if (!gate) this.gates.set(fn.id, (gate = new Gate(fn, fn.flow, this.gateDeps(this.deps))));
    return gate;
  }

  /**
   * One timer for every attempt in flight: each delivery signs life (and
   * each slot it holds is renewed) every third of its ack wait; and slots
   * whose holders died are given to waiters.
   */
  private heartbeat: ReturnType<Clock['setTimeout']> | undefined;
  private beat(): void {
    this.heartbeat = this.clock.setTimeout(
      () => {
        for (const attempt of this.active.values()) attempt.heartbeat();
        if (this.slots) for (const d of this.slots.waiting()) void d.working().catch(() => undefined);
        if (this.gates.size > 0 && this.transport)
          void this.transport.slots
            .reclaim()
            .catch((e: unknown) => this.logger.warn('could not reclaim lapsed concurrency slots', { error: coerceError(e).message }));
        if (this.phase === 'started' || this.phase === 'starting') this.beat();
      },
      Math.max(50, Math.floor(this.options.ackWaitMs / 3)),
    );
  }

  private async teardown(timeoutMs: number): Promise<void> {
    const consumers = this.consumers.splice(0);
    this.ticker?.stop();
    this.slots?.close();
    const abandon = setTimeout(() => {
      for (const a of this.active.values()) a.abandon();
    }, timeoutMs);
    abandon.unref?.();
    try {
      await Promise.all(consumers.map((c) => c.stop({ timeoutMs })));
    } finally {
      clearTimeout(abandon);
      for (const a of this.active.values()) a.abandon();
    }
    this.retention?.stop();
    if (this.heartbeat) this.clock.clearTimeout(this.heartbeat);
    this.heartbeat = undefined;
    for (const un of this.unwatch.splice(0)) await un();
    // Changes still in the window go out before the transport closes.
    this.window.flush();
    const transport = this.transport;
    this.transport = undefined;
    this.connecting = undefined;
    if (transport) await transport.close();
  }

  private connect(): Promise<Transport> {
    if (this.phase === 'stopping' || this.phase === 'stopped')
      return Promise.reject(new RuntimeStoppedError('the runtime is stopped: send() and other calls are refused'));
    this.connecting ??= (async () => {
      const option = this.transportOption;
      const transport = isTransport(option)
        ? option
        : await this.resolverFor(option).create(option, { namespace: this.namespace, clock: this.clock });
      await transport.connect();
      if (this.tracerLoading) await this.tracerLoading;
      this.transport = transport;
      this.retention = new Retention(
        {
          ageMs: this.retentionAgeMs,
          count: this.keepFinishedRuns.count ?? (transport.durable ? Infinity : 10_000),
        },
        this.clock,
        () => this.transport?.store,
        (e) => this.logger.warn('could not delete a finished run past its retention', { error: coerceError(e).message }),
      );
      return transport;
    })();
    return this.connecting;
  }

  private executorDeps(transport: Transport): ExecutorDeps {
    this.deps ??= {
      store: transport.store,
      slots: transport.slots,
      rates: transport.rates,
      clock: this.clock,
      logger: this.logger,
      maxLogsPerRun: this.options.maxLogsPerRun,
      ackWaitMs: this.options.ackWaitMs,
      emit: (change) => this.announce(change),
      // step.sendEvent is not typed by the event map (yet): what it sends is checked at run time, as any send.
      send: (events, parent) => this.sendUnder(events as EventOf<Events>[], undefined, parent),
      publish: (subject, data, options) => transport.publish(subject, data, options),
      serves: (functionId) => this.options.worker && this.functions.has(functionId),
      tracer: this.tracer,
      metrics: this.runMetrics,
      active: this.active,
      finishedExpireMs: () => this.retention?.expireMs(),
    };
    return this.deps;
  }

  /**
   * Sends one event or a batch. Resolves once the transport has accepted
   * every event durably; rejects, enqueueing nothing, when any is invalid.
   * With `createRuntime<Events>()`, only events of that map compile.
   */
  send(input: EventOf<Events> | EventOf<Events>[], options?: SendOptions): Promise<{ ids: string[] }> {
    return this.sendUnder(input, options);
  }

  /** `send`, as a step sends: its span (`parent`) is the parent of the send's span and travels in the events. */
  private async sendUnder(
    input: EventOf<Events> | EventOf<Events>[],
    options?: SendOptions,
    parent?: TraceSpan,
  ): Promise<{ ids: string[] }> {
    if (this.phase === 'stopping' || this.phase === 'stopped') throw new RuntimeStoppedError('the runtime is stopped: send() is refused');
    const list = Array.isArray(input) ? input : [input];
    if (this.tracerLoading) await this.tracerLoading;
    const span = this.tracer ? this.sendSpan(this.tracer, list, parent) : undefined;
    try {
      const ids = await this.publishEvents(list, options, span?.traceparent);
      span?.end();
      return ids;
    } catch (e) {
      span?.end(coerceError(e));
      throw e;
    }
  }

  private sendSpan(tracer: Tracer, list: EventOf<Events>[], parent: TraceSpan | undefined): TraceSpan | undefined {
    const first = list[0] as { name?: unknown; id?: unknown } | undefined;
    const name = typeof first?.name === 'string' ? first.name : 'events';
    const attributes = { [attr.system]: 'eventide', [attr.operation]: 'publish', [attr.destination]: name };
    if (list.length === 1 && typeof first?.id === 'string') Object.assign(attributes, { [attr.messageId]: first.id });
    if (list.length > 1) Object.assign(attributes, { [attr.batchCount]: list.length });
    return tracer.send(`send ${name}`, attributes, parent);
  }

  private async publishEvents(
    list: EventOf<Events>[],
    options: SendOptions | undefined,
    traceparent: string | undefined,
  ): Promise<{ ids: string[] }> {
    const now = this.clock.now();
    const delayMs = options?.delay === undefined ? 0 : toMs(options.delay, 'send: delay');
    const encoded = new Array<Prepared>(list.length);
    for (let i = 0; i < list.length; i++) {
      const prepared = this.intake.prepare(list[i], now, i, delayMs, traceparent);
      encoded[i] = prepared instanceof Promise ? await prepared : prepared;
    }
    const transport = this.transport ?? (await this.connect());
    const publish = (e: Prepared) =>
      transport.publish('events', e.bytes, {
        msgId: e.id,
        topic: e.name,
        freshId: e.fresh,
        ...(e.delayMs > 0 ? { delayMs: e.delayMs } : {}),
      });
    if (encoded.length === 1) await publish(encoded[0]);
    else await Promise.all(encoded.map(publish));
    for (const e of encoded) this.runMetrics.sent(e.name);
    return { ids: encoded.map((e) => e.id) };
  }

  /** Subscribes to run-state changes; returns the unsubscribe function. A throwing listener never breaks a run. */
  on<E extends keyof RuntimeEvents>(event: E, listener: RuntimeEvents[E]): () => void {
    const safe = ((change: RunStateChange) => {
      try {
        listener(change);
      } catch (e) {
        this.logger.error('a run listener threw; the run goes on', { error: coerceError(e).message });
      }
    }) as RuntimeEvents[E];
    this.emitter.on(event, safe);
    return () => {
      this.emitter.off(event, safe);
    };
  }

  /**
   * Run-state changes of every process of the namespace, each with a position; pass one back as `after` (with
   * `onGap`) to resume where a watcher left off, also from another process or after a restart, within the
   * transport's window. Resolves once live, to a function that stops it (its `position`: where it began).
   */
  async watch(listener: RunWatchListener, options?: WatchOptions): Promise<Watching> {
    if (this.phase === 'stopping' || this.phase === 'stopped') throw new RuntimeStoppedError('the runtime is stopped: watch() is refused');
    const transport = this.transport ?? (await this.connect());
    const w = await watchRuns(transport, listener, options, (e) =>
      this.logger.error('a run watcher threw; the watch goes on', { error: coerceError(e).message }),
    );
    this.unwatch.push(w);
    return watching(() => {
      this.unwatch = this.unwatch.filter((un) => un !== w);
      return w();
    }, w.position);
  }

  /** A change made in this process: its listeners hear it now, other processes a few milliseconds later (see BroadcastWindow). */
  private announce(change: RunStateChange): void {
    this.emitter.emit('run', change);
    if (terminalStatuses.has(change.to)) this.runMetrics.ended(change.functionId, change.to);
    this.retention?.ended(change, runKey(change.runId));
    if (this.transport) this.window.push(change);
  }

  private onRemoteChanges(bytes: Uint8Array): void {
    const changes = this.window.received(bytes);
    if (changes) for (const change of changes) this.emitter.emit('run', change);
  }

  private onControl(bytes: Uint8Array): void {
    try {
      const msg = decode(bytes) as { cancel?: string };
      if (msg.cancel) this.active.get(msg.cancel)?.cancel();
    } catch {
      // A malformed control message is not ours to fail over.
    }
  }

  /**
   * This process's metrics in the Prometheus text format (serve it with `metricsContentType`): runs
   * started and ended, attempt and step durations, event → start latency, runs executing here, and
   * from the transport each function's backlog and the namespace's dead letters.
   */
  async metrics(): Promise<string> {
    const transport = this.transport ?? (await this.connect());
    const functionIds = [...this.functions.keys()];
    return this.runMetrics.render({
      functionIds,
      executing: () => {
        const counts = new Map<string, number>();
        for (const a of this.active.values()) counts.set(a.record.functionId, (counts.get(a.record.functionId) ?? 0) + 1);
        return counts;
      },
      backlog: (id) => transport.backlog('events', id),
      deadLetters: () => transport.deadLetterCount(),
    });
  }

  /** Messages the transport holds for each function's group and has not yet handed out (ready or delayed), for the dashboard. */
  async backlogs(): Promise<Record<string, number>> {
    const transport = this.transport ?? (await this.connect());
    const out: Record<string, number> = {};
    await Promise.all(
      [...this.functions.keys()].map(async (id) => {
        // A group the transport has not made yet (no worker ever ran the function) has no backlog to show.
        const b = await transport.backlog('events', id).catch(() => undefined);
        if (b) out[id] = b.ready + b.delayed;
      }),
    );
    return out;
  }

  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.inspector.getRun(runId);
  }

  /** Runs, newest first. Reads every run record of the namespace: meant for inspection, not hot paths. */
  listRuns(query: ListRunsQuery = {}): Promise<RunRecord[]> {
    return this.inspector.listRuns(query);
  }

  /** Events as sent, newest first (as far back as the transport keeps them). */
  listEvents(query: { name?: string; limit?: number } = {}): Promise<ListedEvent[]> {
    return this.inspector.listEvents(query);
  }

  /** Messages the transport gave up on (malformed or refused), newest first. */
  deadLetters(query: { limit?: number } = {}): Promise<(DeadLetter & { event?: StoredEvent })[]> {
    return this.inspector.deadLetters(query);
  }

  /**
   * Starts fresh runs of the same events with the current code (after a
   * fix), one per selected run, and returns the new run ids. Selects by
   * `runIds`, or by `functionId` and `status` (default 'failed').
   */
  replay(query: ReplayQuery): Promise<string[]> {
    return this.inspector.replay(query);
  }

  /** Cancels a run that has not ended; an attempt in flight is aborted (its `signal` fires). Resolves to the run as stored. */
  cancel(runId: string): Promise<RunRecord> {
    return this.inspector.cancel(runId);
  }

  private gateDeps(deps: ExecutorDeps): GateDeps {
    return { ...deps, publish: (subject, data, options) => this.connect().then((t) => t.publish(subject, data, options)) };
  }

  /** A cancelled run gives back its slots, or its place in a queue for one. */
  private async leaveQueues(record: RunRecord, transport: Transport): Promise<void> {
    const fn = this.functions.get(record.functionId);
    if (!fn?.flow || fn.flow.concurrency.length === 0) return;
    const gate = this.gates.get(fn.id) ?? new Gate(fn, fn.flow, this.gateDeps(this.executorDeps(transport)));
    await gate.releaseAll(record.id, record.event);
  }

  /** The functions this runtime knows, by id, with their limits and, for cron triggers, each schedule's next tick. */
  listFunctions(): FunctionSummary[] {
    const now = this.clock.now();
    return [...this.functions.values()].map((f) => ({
      id: f.id,
      trigger: describeTriggers(f),
      retries: f.retries,
      ...(f.flow ? { limits: describeFlow(f.flow) } : {}),
      ...(f.crons.length > 0 ? CronTicker.nextTicks(f, now) : {}),
    }));
  }

  get transportKind(): string | undefined {
    return this.transport?.kind;
  }
}

export function createRuntime<Events extends EventMap = EventMap>(
  options: RuntimeOptions = {},
  resolver?: TransportResolver,
): Runtime<Events> {
  return new Runtime<Events>(options, resolver);
}
