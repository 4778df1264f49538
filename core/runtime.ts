/**
 * @module
 * `createRuntime`: the object an app embeds. It sends events, runs the
 * functions subscribed to them (one consumer group per function on the
 * transport's events subject), announces every run-state change, and lets
 * runs be inspected, cancelled and replayed.
 */
import { EventEmitter } from 'eventemitter3';
import { systemClock, type Clock } from './clock.js';
import { decode, encode } from './codec/msgpack.js';
import { decodeEnvelope, type Envelope, encodeEnvelope } from './codec/envelope.js';
import { decodeRecord, encodeRecord } from './codec/record.js';
import { unserialisableReason } from './codec/values.js';
import { writeValue } from './codec/msgpack-writer.js';
import { ConfigError, EventValidationError, RuntimeStoppedError, coerceError } from './errors.js';
import type { Attempt, ExecutorDeps } from './attempt.js';
import { handleDelivery } from './executor.js';
import { apply, changeOf, runKey } from './run-record.js';
import type { EventideFunction } from './function.js';
import { newEventId, newReplaySalt, runIdFor } from './ids.js';
import { defaultLogger, type Logger } from './logger.js';
import { Retention } from './retention.js';
import { Slots } from './slots.js';
import { toMs, type Duration } from './duration.js';
import { validateData, type SchemaMap } from './schema.js';
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
} from './transport.js';
import {
  terminalStatuses,
  type EventPayload,
  type RunRecord,
  type RunStateChange,
  type RunStatus,
  type RuntimeEvents,
  type StoredEvent,
} from './types.js';

/** How long run-state changes gather before one broadcast carries them to other processes. */
const BROADCAST_WINDOW_MS = 5;

interface Prepared {
  id: string;
  name: string;
  bytes: Uint8Array;
  /** The id was made here, not given by the caller. */
  fresh: boolean;
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
}

export interface ListRunsQuery {
  functionId?: string;
  status?: RunStatus;
  eventId?: string;
  limit?: number;
}

export interface ReplayQuery {
  functionId?: string;
  status?: RunStatus;
  runIds?: string[];
}

const namespacePattern = /^[A-Za-z0-9_-]+$/;
type Phase = 'idle' | 'starting' | 'started' | 'stopping' | 'stopped';

export class Runtime {
  private readonly emitter = new EventEmitter<RuntimeEvents>();
  private readonly functions = new Map<string, EventideFunction>();
  private readonly schemas = new Map<string, SchemaMap[string]>();
  private readonly options: Required<Pick<RuntimeOptions, 'worker' | 'concurrency' | 'ackWaitMs' | 'maxEventBytes' | 'maxLogsPerRun'>>;
  private readonly namespace: string;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly transportOption: Transport | TransportConfig;
  /** Marks this runtime's broadcasts: its own come back through `watch` and are skipped without decoding. */
  private readonly origin = Buffer.from(newEventId().slice(-16), 'latin1');
  private readonly active = new Map<string, Attempt>();
  private transport: Transport | undefined;
  private connecting: Promise<Transport> | undefined;
  private consumers: Consumer[] = [];
  private unwatch: Unsubscribe[] = [];
  private phase: Phase = 'idle';
  private deps: ExecutorDeps | undefined;
  private retention: Retention | undefined;
  private slots: Slots | undefined;
  private readonly keepFinishedRuns: { age?: Duration; count?: number };
  private readonly retentionAgeMs: number;

  constructor(
    options: RuntimeOptions = {},
    /** Turns a URL or config into a transport; without one, `transport` must be a Transport instance. */
    private readonly resolver?: TransportResolver,
  ) {
    this.namespace = options.namespace ?? 'eventide';
    if (!namespacePattern.test(this.namespace)) throw new ConfigError(`namespace "${this.namespace}" must be letters, digits, '-' or '_'`);
    this.logger = options.logger ?? defaultLogger;
    this.clock = options.clock ?? systemClock;
    this.options = {
      worker: options.worker ?? true,
      concurrency: positiveInt(options.concurrency ?? 100, 'concurrency'),
      ackWaitMs: positiveInt(options.ackWaitMs ?? 30_000, 'ackWaitMs'),
      maxEventBytes: positiveInt(options.maxEventBytes ?? 512 * 1024, 'maxEventBytes'),
      maxLogsPerRun: positiveInt(options.maxLogsPerRun ?? 200, 'maxLogsPerRun'),
    };
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
      if (this.functions.has(fn.id)) throw new ConfigError(`two functions share the id "${fn.id}"`);
      this.functions.set(fn.id, fn);
      const s = fn.config.trigger.schema;
      if (s && !fn.config.trigger.event.endsWith('*')) this.schemas.set(fn.config.trigger.event, s);
    }
    for (const [name, schema] of Object.entries(options.schemas ?? {})) {
      if (!schema || typeof schema !== 'object' || !('~standard' in schema))
        throw new ConfigError(`schema for "${name}" is not a Standard Schema v1 object`);
      this.schemas.set(name, schema);
    }
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
      this.unwatch.push(await transport.watch('runs', (bytes) => this.onRemoteChange(bytes)));
      this.unwatch.push(await transport.watch('control', (bytes) => this.onControl(bytes)));
      if (this.options.worker) {
        this.beat();
        const deps = this.executorDeps(transport);
        const slots = (this.slots = new Slots(this.options.concurrency));
        for (const fn of this.functions.values()) {
          const run = (d: Delivery) => handleDelivery(fn, d, deps).finally(() => slots.release());
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

  /** One timer for every attempt in flight: each delivery signs life every third of its ack wait. */
  private heartbeat: ReturnType<Clock['setTimeout']> | undefined;
  private beat(): void {
    this.heartbeat = this.clock.setTimeout(
      () => {
        for (const attempt of this.active.values()) attempt.heartbeat();
        if (this.slots) for (const d of this.slots.waiting()) void d.working().catch(() => undefined);
        if (this.phase === 'started' || this.phase === 'starting') this.beat();
      },
      Math.max(50, Math.floor(this.options.ackWaitMs / 3)),
    );
  }

  private async teardown(timeoutMs: number): Promise<void> {
    const consumers = this.consumers.splice(0);
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
    this.flushOutbox();
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
      clock: this.clock,
      logger: this.logger,
      maxLogsPerRun: this.options.maxLogsPerRun,
      ackWaitMs: this.options.ackWaitMs,
      emit: (change) => this.announce(change),
      send: (events) => this.send(events),
      active: this.active,
      finishedExpireMs: () => this.retention?.expireMs(),
    };
    return this.deps;
  }

  /**
   * Sends one event or a batch. Resolves once the transport has accepted
   * every event durably; rejects, enqueueing nothing, when any is invalid.
   */
  async send(input: EventPayload | EventPayload[]): Promise<{ ids: string[] }> {
    if (this.phase === 'stopping' || this.phase === 'stopped') throw new RuntimeStoppedError('the runtime is stopped: send() is refused');
    const list = Array.isArray(input) ? input : [input];
    const now = this.clock.now();
    const encoded: Prepared[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) {
      // Synchronous unless the event's name has a schema: no promise hop on the critical path.
      const prepared = this.prepare(list[i], now, i);
      encoded[i] = prepared instanceof Promise ? await prepared : prepared;
    }
    const transport = this.transport ?? (await this.connect());
    if (encoded.length === 1) {
      await transport.publish('events', encoded[0].bytes, { msgId: encoded[0].id, topic: encoded[0].name, freshId: encoded[0].fresh });
    } else {
      await Promise.all(encoded.map((e) => transport.publish('events', e.bytes, { msgId: e.id, topic: e.name, freshId: e.fresh })));
    }
    return { ids: encoded.map((e) => e.id) };
  }

  private prepare(event: EventPayload, now: number, index: number): Prepared | Promise<Prepared> {
    const at = `event #${index}`;
    if (!event || typeof event !== 'object')
      throw new EventValidationError(`${at} must be an object { name, data }`, { code: 'INVALID_EVENT' });
    const { name } = event;
    if (typeof name !== 'string' || name.trim().length === 0)
      throw new EventValidationError(`${at} needs a non-empty string name`, { code: 'INVALID_NAME' });
    if (event.id !== undefined && (typeof event.id !== 'string' || event.id.length === 0 || event.id.length > 256)) {
      throw new EventValidationError(`event "${name}": id must be a non-empty string of at most 256 characters`, {
        code: 'INVALID_ID',
        eventName: name,
      });
    }
    if (event.ts !== undefined && !Number.isFinite(event.ts))
      throw new EventValidationError(`event "${name}": ts must be epoch milliseconds`, { code: 'INVALID_EVENT', eventName: name });
    const data: unknown = event.data === undefined ? {} : event.data;
    const schema = this.schemas.get(name);
    if (schema) return validateData(schema, name, data).then((valid) => this.encodeEvent(event, name, valid, now));
    return this.encodeEvent(event, name, data, now);
  }

  private encodeEvent(event: EventPayload, name: string, data: unknown, now: number): Prepared {
    const reason = unserialisableReason(data);
    if (reason)
      throw new EventValidationError(`event "${name}": ${reason}, which cannot be sent; send plain data`, {
        code: 'NOT_SERIALISABLE',
        eventName: name,
      });
    const stored: StoredEvent = { name, data, id: event.id ?? newEventId(now), ts: event.ts ?? now };
    let bytes: Uint8Array;
    try {
      bytes = encodeEnvelope({ v: 1, event: stored });
    } catch (e) {
      throw new EventValidationError(`event "${name}": data cannot be encoded: ${coerceError(e).message}`, {
        code: 'NOT_SERIALISABLE',
        eventName: name,
        cause: e,
      });
    }
    if (bytes.length > this.options.maxEventBytes) {
      throw new EventValidationError(
        `event "${name}" is ${bytes.length} bytes encoded, over the limit of ${this.options.maxEventBytes} (maxEventBytes)`,
        { code: 'TOO_LARGE', eventName: name },
      );
    }
    return { id: stored.id, name, bytes, fresh: event.id === undefined };
  }

  /** Subscribes to run-state changes; returns the unsubscribe function. A throwing listener never breaks a run. */
  on<E extends keyof RuntimeEvents>(event: E, listener: RuntimeEvents[E]): () => void {
    const safe = ((change: RunStateChange) => {
      try {
        (listener as (c: RunStateChange) => void)(change);
      } catch (e) {
        this.logger.error('a run listener threw; the run goes on', { error: coerceError(e).message });
      }
    }) as RuntimeEvents[E];
    this.emitter.on(event, safe);
    return () => {
      this.emitter.off(event, safe);
    };
  }

  private announce(change: RunStateChange): void {
    this.emitter.emit('run', change);
    this.retention?.ended(change, runKey(change.runId));
    if (!this.transport) return;
    // Other processes hear of changes a few milliseconds late, in one broadcast per window: a broadcast per change (or per
    // tick) cost a publish each, and, sent the moment a run ends, it competed with the next event's delivery for the loop.
    if (this.outbox.push(change) === 1) {
      this.outboxTimer = setTimeout(this.flushOutbox, BROADCAST_WINDOW_MS);
      this.outboxTimer.unref?.();
    }
  }

  private readonly outbox: RunStateChange[] = [];
  private outboxTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly flushOutbox = () => {
    clearTimeout(this.outboxTimer);
    this.outboxTimer = undefined;
    const changes = this.outbox.splice(0);
    if (!this.transport || changes.length === 0) return;
    // One broadcast per function, with the function as its topic (on NATS: <ns>.runs.<functionId>).
    const byFunction = new Map<string, RunStateChange[]>();
    for (const c of changes) {
      const list = byFunction.get(c.functionId);
      if (list) list.push(c);
      else byFunction.set(c.functionId, [c]);
    }
    for (const [functionId, list] of byFunction) this.broadcastChanges(functionId, list);
  };

  private broadcastChanges(functionId: string, changes: RunStateChange[]): void {
    this.transport
      ?.broadcast('runs', Buffer.concat([this.origin, writeValue(changes)]), functionId)
      .catch((e) => this.logger.warn('could not broadcast run-state changes', { error: coerceError(e).message }));
  }

  private onRemoteChange(bytes: Uint8Array): void {
    const origin = this.origin;
    if (bytes.length <= origin.length || Buffer.compare(origin, bytes.subarray(0, origin.length)) === 0) return;
    let changes: unknown;
    try {
      changes = decode(bytes.subarray(origin.length));
    } catch {
      return; // a malformed broadcast is not ours to fail over
    }
    if (!Array.isArray(changes)) return;
    for (const change of changes as RunStateChange[]) this.emitter.emit('run', change);
  }

  private onControl(bytes: Uint8Array): void {
    try {
      const msg = decode(bytes) as { cancel?: string };
      if (msg.cancel) this.active.get(msg.cancel)?.cancel();
    } catch {
      // ignored, as above
    }
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const transport = this.transport ?? (await this.connect());
    const stored = await transport.store.get(runKey(runId));
    return stored ? decodeRecord(stored.value) : undefined;
  }

  /** Runs, newest first. Reads every run record of the namespace: meant for inspection, not hot paths. */
  async listRuns(query: ListRunsQuery = {}): Promise<RunRecord[]> {
    const transport = this.transport ?? (await this.connect());
    const keys = await transport.store.keys('run.');
    const records: RunRecord[] = [];
    const batch = 64;
    for (let i = 0; i < keys.length; i += batch) {
      const got = await Promise.all(keys.slice(i, i + batch).map((k) => transport.store.get(k)));
      for (const s of got) {
        if (!s) continue;
        const r = decodeRecord(s.value);
        if (query.functionId && r.functionId !== query.functionId) continue;
        if (query.status && r.status !== query.status) continue;
        if (query.eventId && r.eventId !== query.eventId) continue;
        records.push(r);
      }
    }
    records.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
    return records.slice(0, query.limit ?? 100);
  }

  /** Events as sent, newest first (as far back as the transport keeps them). */
  async listEvents(query: { name?: string; limit?: number } = {}): Promise<StoredEvent[]> {
    const transport = this.transport ?? (await this.connect());
    const limit = query.limit ?? 50;
    const entries = await transport.history('events', query.name ? Math.max(1_000, limit * 20) : limit * 2);
    const out: StoredEvent[] = [];
    for (const entry of entries) {
      const env = decodeEnvelope(entry.data);
      if (typeof env === 'string' || env.target) continue;
      if (query.name && env.event.name !== query.name) continue;
      out.push(env.event);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Messages the transport gave up on (malformed or refused), newest first. */
  async deadLetters(query: { limit?: number } = {}): Promise<(DeadLetter & { event?: StoredEvent })[]> {
    const transport = this.transport ?? (await this.connect());
    const letters = await transport.deadLetters(query.limit ?? 50);
    return letters.map((d) => {
      const env = decodeEnvelope(d.data);
      return typeof env === 'string' ? d : { ...d, event: env.event };
    });
  }

  /**
   * Starts fresh runs of the same events with the current code (after a
   * fix), one per selected run, and returns the new run ids. Selects by
   * `runIds`, or by `functionId` and `status` (default 'failed').
   */
  async replay(query: ReplayQuery): Promise<string[]> {
    const transport = this.transport ?? (await this.connect());
    let runs: RunRecord[];
    if (query.runIds) {
      runs = [];
      for (const id of query.runIds) {
        const r = await this.getRun(id);
        if (!r) throw new ConfigError(`replay: no run "${id}"`);
        runs.push(r);
      }
    } else {
      if (!query.functionId) throw new ConfigError('replay needs runIds, or a functionId (and optionally a status, default failed)');
      runs = await this.listRuns({ functionId: query.functionId, status: query.status ?? 'failed', limit: Number.MAX_SAFE_INTEGER });
    }
    for (const r of runs)
      if (!this.functions.has(r.functionId))
        throw new ConfigError(`replay: function "${r.functionId}" is not registered with this runtime`);
    const ids: string[] = [];
    await Promise.all(
      runs.map(async (r) => {
        const runId = runIdFor(r.functionId, r.eventId, newReplaySalt());
        const env: Envelope = { v: 1, event: r.event, target: { functionId: r.functionId, runId, replayOf: r.id } };
        await transport.publish('events', encode(env), { msgId: runId, topic: r.event.name });
        ids.push(runId);
      }),
    );
    return ids;
  }

  /** Cancels a run that has not ended; an attempt in flight is aborted (its `signal` fires). Resolves to the run as stored. */
  async cancel(runId: string): Promise<RunRecord> {
    const transport = this.transport ?? (await this.connect());
    for (;;) {
      const stored = await transport.store.get(runKey(runId));
      if (!stored) throw new ConfigError(`cancel: no run "${runId}"`);
      const record = decodeRecord(stored.value);
      if (terminalStatuses.has(record.status)) return record;
      const from = record.status;
      const now = this.clock.now();
      apply(record, 'CANCEL');
      record.endedAt = record.updatedAt = now;
      record.nextAttemptAt = undefined;
      const expireMs = this.retention?.expireMs();
      if (
        (await transport.store.update(
          runKey(runId),
          encodeRecord(record),
          stored.revision,
          expireMs !== undefined ? { expireMs } : undefined,
        )) === undefined
      )
        continue;
      this.announce(changeOf(record, from, now));
      this.active.get(runId)?.cancel();
      await transport.broadcast('control', encode({ cancel: runId }));
      return record;
    }
  }

  /** The functions this runtime knows, by id. */
  listFunctions(): { id: string; trigger: string; retries: number }[] {
    return [...this.functions.values()].map((f) => ({ id: f.id, trigger: f.config.trigger.event, retries: f.retries }));
  }

  get transportKind(): string | undefined {
    return this.transport?.kind;
  }
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${name} must be a whole number > 0, got ${value}`);
  return value;
}

export function createRuntime(options: RuntimeOptions = {}, resolver?: TransportResolver): Runtime {
  return new Runtime(options, resolver);
}
