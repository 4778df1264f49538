/**
 * @module
 * The SQLite transport: the whole seam on one database file in WAL mode,
 * for one host with no server to run. Several processes may share the file
 * (a web process sending, workers executing): every claim and every limit
 * transition is a `BEGIN IMMEDIATE` transaction, a claim is a lease that
 * runs out after `ackWaitMs`, and changes travel between processes through
 * the file itself (see shared-file.ts). Needs `better-sqlite3` 12
 * (an optional dependency of eventide).
 *
 * @example
 * ```ts
 * import { createSqliteTransport } from 'eventide/transports/sqlite';
 * const runtime = createRuntime({ transport: createSqliteTransport({ path: './eventide.db', namespace: 'app' }), functions });
 * // or simply: createRuntime({ transport: 'sqlite://./eventide.db', functions })
 * ```
 */
import type {
  Backlog,
  Consumer,
  ConsumeOptions,
  DeadLetter,
  DeliveryHandler,
  HistoryEntry,
  Indexes,
  KVStore,
  PublishOptions,
  PublishResult,
  Rates,
  Slots,
  Position,
  Transport,
  WatchOptions,
  Watching,
} from '../../core/transport.js';
import { TransportError, watching } from '../../core/transport.js';
import { Broadcasts, sweepBroadcasts } from './broadcasts.js';
import { SqliteConsumer } from './consumer.js';
import { sqliteError } from './errors.js';
import { Messages, sweepDedup } from './messages.js';
import { resolveOptions, type ResolvedOptions, type SqliteTransportOptions } from './options.js';
import { sqliteRates } from './rates.js';
import { Settlements } from './settlements.js';
import { acquireFile, type ChangeKind, type SharedFile } from './shared-file.js';
import { SqliteSlots } from './slots.js';
import { KvWrites, SqliteKVStore, sqliteIndexes, sweepExpired } from './store.js';

export type { SqliteTransportOptions } from './options.js';
export { schemaVersion } from './schema.js';

const closedError = () => new TransportError('sqlite transport is not connected (or closed)', { code: 'CLOSED' });

type Guard = <T>(what: string, work: () => T) => Promise<T>;

/** The parts of an open transport; made at `connect`, gone at `close`. */
class Open {
  readonly messages: Messages;
  readonly store: SqliteKVStore;
  readonly settlements: Settlements;
  readonly slots: Slots;
  readonly rates: Rates;
  readonly indexes: Indexes;
  readonly broadcasts: Broadcasts;

  constructor(
    readonly file: SharedFile,
    o: ResolvedOptions,
    guard: Guard,
  ) {
    const ns = o.namespace;
    this.messages = new Messages(file, ns, o.limits);
    this.store = new SqliteKVStore(file, ns, guard);
    this.settlements = new Settlements(file, new KvWrites(file, ns), this.messages);
    this.slots = new SqliteSlots(file, ns, this.messages).api(guard);
    this.rates = sqliteRates(file, ns);
    this.indexes = sqliteIndexes(file, ns, guard);
    this.broadcasts = new Broadcasts(file, ns, (err) => o.onError(sqliteError(err, file.path, 'watch')));
    file.sweeps.set('kv', () => sweepExpired(file));
    file.sweeps.set('dedup', () => sweepDedup(file));
    file.sweeps.set('broadcasts', () => sweepBroadcasts(file, o.broadcastKeepMs));
  }
}

export class SqliteTransport implements Transport {
  readonly kind = 'sqlite';
  readonly durable: boolean;
  readonly namespace: string;
  readonly store: KVStore;
  readonly slots: Slots;
  readonly rates: Rates;
  readonly indexes: Indexes;
  private readonly options: ResolvedOptions;
  private parts: Open | undefined;
  private readonly consumers = new Set<SqliteConsumer>();
  private unlisten: (() => void) | undefined;

  constructor(options: SqliteTransportOptions) {
    this.options = resolveOptions(options);
    this.namespace = this.options.namespace;
    this.durable = this.options.path !== ':memory:';
    // The seam's objects exist before connect; each call reaches the open file, or fails with code CLOSED.
    const on = <T>(use: (parts: Open) => Promise<T>): Promise<T> => (this.parts ? use(this.parts) : Promise.reject(closedError()));
    // The seam's objects exist before connect; each call reaches the open file, or fails with code CLOSED.
    this.store = {
      expires: true,
      get: (key) => on((p) => p.store.get(key)),
      create: (key, value, o) => on((p) => p.store.create(key, value, o)),
      update: (key, value, revision, o) => on((p) => p.store.update(key, value, revision, o)),
      delete: (key) => on((p) => p.store.delete(key)),
      keys: (prefix) => on((p) => p.store.keys(prefix)),
    };
    this.slots = {
      acquire: (...a) => on((p) => p.slots.acquire(...a)),
      release: (...a) => on((p) => p.slots.release(...a)),
      renew: (...a) => on((p) => p.slots.renew(...a)),
      reclaim: () => on((p) => p.slots.reclaim()),
      count: (key) => on((p) => p.slots.count(key)),
    };
    this.rates = {
      reserve: (...a) => on((p) => p.rates.reserve(...a)),
      take: (...a) => on((p) => p.rates.take(...a)),
    };
    this.indexes = { page: (...a) => on((p) => p.indexes.page(...a)) };
  }

  /** The file this transport is on (absolute, or ':memory:'). */
  get path(): string {
    return this.parts?.file.path ?? this.options.path;
  }

  private readonly guard: Guard = (what, work) => {
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(sqliteError(err, this.path, what));
    }
  };

  private open(): Open {
    if (!this.parts) throw closedError();
    return this.parts;
  }

  async connect(): Promise<void> {
    if (this.parts) return;
    const file = acquireFile(this.options.path, this.options.file);
    try {
      this.parts = new Open(file, this.options, this.guard);
    } catch (err) {
      file.release();
      throw sqliteError(err, file.path, 'open');
    }
  }

  async close(): Promise<void> {
    const parts = this.parts;
    if (!parts) return;
    await Promise.all([...this.consumers].map((c) => c.stop({ timeoutMs: 0 })));
    this.unlisten?.();
    this.unlisten = undefined;
    this.parts = undefined;
    parts.file.release();
  }

  /** Hears of changes to the file once something here consumes or watches. */
  private listen(parts: Open): void {
    this.unlisten ??= parts.file.listen({ changed: (kind) => this.changed(kind) });
  }

  private changed(kind: ChangeKind): void {
    if (kind !== 'broadcasts') for (const c of this.consumers) c.wake();
    if (kind !== 'messages') this.parts?.broadcasts.read();
  }

  publish(subject: string, data: Uint8Array, options: PublishOptions = {}): Promise<PublishResult> {
    if (!this.parts) return Promise.reject(closedError());
    return this.parts.messages.publish(subject, data, options).then((duplicate) => ({ duplicate }));
  }

  async consume(subject: string, group: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<Consumer> {
    const parts = this.open();
    if (!group) throw new TypeError('sqlite transport: consume needs a group name');
    await parts.messages.join(subject, group);
    const consumer = new SqliteConsumer(
      parts.file,
      this.namespace,
      subject,
      group,
      handler,
      options,
      parts.settlements,
      (err) => this.options.onError(sqliteError(err, this.path, `consume(${JSON.stringify(subject)}, ${JSON.stringify(group)})`)),
      (c) => this.consumers.delete(c),
    );
    this.consumers.add(consumer);
    this.listen(parts);
    consumer.start();
    return consumer;
  }

  history(subject: string, limit: number): Promise<HistoryEntry[]> {
    return this.guard('history', () => this.open().messages.history(subject, limit));
  }

  deadLetters(limit: number): Promise<DeadLetter[]> {
    return this.guard('deadLetters', () => this.open().messages.deadLetters(limit));
  }

  deadLetterCount(): Promise<number> {
    return this.guard('deadLetterCount', () => this.open().messages.deadLetterCount());
  }

  backlog(subject: string, group: string): Promise<Backlog> {
    return this.guard('backlog', () => this.open().messages.backlog(subject, group));
  }

  broadcast(channel: string, data: Uint8Array): Promise<void> {
    return this.parts ? this.parts.broadcasts.broadcast(channel, data) : Promise.reject(closedError());
  }

  async watch(channel: string, listener: (data: Uint8Array, position: Position) => void, options?: WatchOptions): Promise<Watching> {
    const parts = this.open();
    const { position, stop } = await this.guard('watch', () => parts.broadcasts.watch(channel, listener, options));
    this.listen(parts);
    return watching(stop, String(position));
  }
}

export function createSqliteTransport(options: SqliteTransportOptions): SqliteTransport {
  return new SqliteTransport(options);
}

/** The factory the runtime uses for `sqlite://` URLs and `{ kind: 'sqlite' }` configs. */
export function createTransport(options: SqliteTransportOptions & { kind?: string }): Transport {
  const { kind: _kind, ...rest } = options;
  return new SqliteTransport(rest);
}
