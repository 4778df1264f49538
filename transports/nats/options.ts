/**
 * Options of the NATS transport, their defaults and their checks. Anything
 * that is not a transport option is a nats.js connection option and is
 * passed through to `connect()`.
 */
import type { ConnectionOptions } from 'nats';
import { ConfigError } from '../../core/errors.js';
import { toMs, type Duration } from '../../core/duration.js';
import { numberOption } from '../../core/lib/checks.js';
import { checkNatsServers } from '../shared/urls.js';
import { validateNamespace } from './names.js';
import type { BroadcastWindow, Retention } from './setup.js';

export interface NatsTransportOptions extends Omit<ConnectionOptions, 'servers'> {
  /** One or more servers: 'nats://host:4222', or several comma-separated. Default 127.0.0.1:4222. */
  servers?: string | string[];
  /** Same as `servers` (the runtime passes `nats://…` URLs here). */
  url?: string;
  /** Prefix of every stream, subject, consumer and bucket; [A-Za-z0-9_-]. Default 'eventide'. */
  namespace?: string;
  /** Where streams and the bucket keep data. Default 'file' (survives a server restart). */
  storage?: 'file' | 'memory';
  /** Stream and bucket replicas in a JetStream cluster. Default 1. */
  replicas?: number;
  /** Most bytes each durable subject's stream (the events stream) keeps, oldest dropped first. Default unlimited. */
  maxBytes?: number;
  /** How long the events stream keeps a message. Default unlimited. */
  maxAge?: Duration;
  /** How long a message id is remembered for deduplication. Default 2 minutes. */
  duplicateWindowMs?: number;
  /** A publish not acknowledged within this rejects with a TransportError. Default 5 000. */
  publishTimeoutMs?: number;
  /**
   * `connect()` (a runtime's `start()`, or its first `send`) gives up when no server has answered within this,
   * with a TransportError code 'CONNECT_TIMEOUT' (a refused connection fails at once: 'CONNECTION_REFUSED').
   * nats.js's own `timeout`, when given, wins. Default 10 000.
   */
  connectTimeoutMs?: number;
  /** Dead letters kept (oldest dropped first). Default 100 000. */
  maxDeadLetters?: number;
  /** How long a broadcast (a run-state change) stays for a watcher that resumes after a position. Default 10 minutes. */
  broadcastMaxAge?: Duration;
  /** Most bytes each broadcast channel keeps within that age, oldest dropped first. Default 64 MiB. */
  broadcastMaxBytes?: number;
}

export interface ResolvedOptions {
  namespace: string;
  publishTimeoutMs: number;
  retention: Retention;
  broadcasts: BroadcastWindow;
  connection: ConnectionOptions;
}

const transportKeys = new Set([
  'servers',
  'url',
  'namespace',
  'storage',
  'replicas',
  'maxBytes',
  'maxAge',
  'duplicateWindowMs',
  'publishTimeoutMs',
  'connectTimeoutMs',
  'maxDeadLetters',
  'broadcastMaxAge',
  'broadcastMaxBytes',
  'kind',
]);

const where = 'NATS transport';

function serverList(options: NatsTransportOptions): string[] {
  const raw = options.servers ?? options.url ?? '127.0.0.1:4222';
  const list = (Array.isArray(raw) ? raw : raw.split(',')).map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new ConfigError('NATS transport: no server given (servers or url)');
  checkNatsServers(list, 'NATS transport servers');
  return list;
}

export function resolveOptions(options: NatsTransportOptions): ResolvedOptions {
  const namespace = validateNamespace(options.namespace ?? 'eventide');
  const storage = options.storage ?? 'file';
  if (storage !== 'file' && storage !== 'memory')
    throw new ConfigError(`NATS transport: storage must be 'file' or 'memory', got ${JSON.stringify(storage)}`);
  const maxAgeMs = options.maxAge === undefined ? 0 : toMs(options.maxAge, 'NATS transport maxAge');
  let duplicateWindowMs = numberOption(options.duplicateWindowMs, { where, name: 'duplicateWindowMs', fallback: 120_000 });
  // JetStream refuses a duplicate window longer than the stream's max age.
  if (maxAgeMs > 0) duplicateWindowMs = Math.min(duplicateWindowMs, maxAgeMs);
  const passthrough: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (!transportKeys.has(k)) passthrough[k] = v;
  return {
    namespace,
    publishTimeoutMs: numberOption(options.publishTimeoutMs, { where, name: 'publishTimeoutMs', fallback: 5_000 }),
    retention: {
      storage,
      replicas: numberOption(options.replicas, { where, name: 'replicas', fallback: 1 }),
      maxBytes: numberOption(options.maxBytes, { where, name: 'maxBytes', fallback: -1 }),
      maxAgeMs,
      duplicateWindowMs,
      maxDeadLetters: numberOption(options.maxDeadLetters, { where, name: 'maxDeadLetters', fallback: 100_000 }),
    },
    broadcasts: {
      maxAgeMs: Math.max(1, toMs(options.broadcastMaxAge ?? '10m', 'NATS transport broadcastMaxAge')),
      maxBytes: numberOption(options.broadcastMaxBytes, { where, name: 'broadcastMaxBytes', fallback: 64 * 1024 * 1024, integer: true }),
    },
    connection: {
      name: `eventide:${namespace}`,
      // nats.js builds an Error per request for async stack traces; skipping that is 1.5–1.9× faster publishing.
      noAsyncTraces: true,
      // Keep reconnecting forever: pending publishes and pull requests resume when the server is back.
      maxReconnectAttempts: -1,
      timeout: numberOption(options.connectTimeoutMs, { where, name: 'connectTimeoutMs', fallback: 10_000 }),
      ...passthrough,
      servers: serverList(options),
    },
  };
}
