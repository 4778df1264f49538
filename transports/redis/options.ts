/**
 * Options of the Redis transport, their defaults and their checks, and the
 * connection they describe (one server, a client to copy, or the seed nodes
 * of a Redis Cluster).
 */
import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import { ConfigError } from '../../core/errors.js';
import { numberOption } from '../../core/lib/checks.js';
import { checkRedisUrl, parseClusterUrl } from '../shared/urls.js';
import { describe, type ConnectionSettings, type RedisConnectionInput } from './connection.js';
import type { ConsumerSettings } from './consumer.js';
import type { PublishSettings } from './publisher.js';

export interface RedisTransportOptions {
  /**
   * `redis://[:password@]host:port[/db]` or `rediss://…`. Default redis://127.0.0.1:6379. For a Redis
   * Cluster, `redis+cluster://[user:password@]host:port,host:port` (`rediss+cluster://` for TLS), or `cluster`.
   */
  url?: string;
  /**
   * ioredis options (with `cluster`: each node's), or a client used as the template of the
   * transport's own connections (it is duplicated, not shared): a `Redis`, or a `Cluster`.
   */
  redis?: RedisOptions | Redis | Cluster;
  /**
   * Seed nodes of a Redis Cluster (`'redis://host:port'`, `'host:port'` or `{ host, port }`), instead
   * of `url`. The transport learns the other nodes and follows its namespace's slot to whichever
   * master holds it (MOVED, ASK), across resharding and failover.
   */
  cluster?: ClusterNode[];
  /** Prefix (and Redis Cluster hash tag) of every key: letters, digits, '_' and '-'. Default 'eventide'. */
  namespace?: string;
  /**
   * Entries each subject stream keeps as history (approximately: trimmed in
   * steps). Entries a group has not read or not acked are never trimmed, so a
   * lagging consumer holds history longer rather than losing messages.
   * 0 keeps everything. Default 10 000.
   */
  maxLen?: number;
  /**
   * Broadcasts (run-state changes, cancels) kept per channel, approximately: a
   * watcher that reconnects catches up on what it missed as long as it is
   * still in the stream. An entry is one broadcast (the runtime sends one per
   * function every few milliseconds, up to a few KB under load), so the
   * default, 1 000, holds seconds of a busy worker's changes and minutes of a
   * quiet one's, in a few MB at most.
   */
  broadcastMaxLen?: number;
  /** A command Redis does not answer within this is rejected with a TransportError (code 'TIMEOUT'). Default 5000. */
  commandTimeoutMs?: number;
  /**
   * `connect()` (a runtime's `start()`, or its first `send`) gives up when Redis has not answered within this,
   * with a TransportError code 'CONNECT_TIMEOUT' (a refused connection fails at once: 'CONNECTION_REFUSED'). Default 10000.
   */
  connectTimeoutMs?: number;
  /** How long a msgId is remembered for deduplication (one small key per message id). Default 2 minutes. 0 turns dedup off. */
  dedupWindowMs?: number;
  /** Dead letters kept (approximately). Default 10 000. */
  maxDeadLetters?: number;
  /**
   * ioredis enableAutoPipelining: batch commands issued in the same tick. Default false: it
   * defers each batch to setImmediate (+~70 µs per send at low load) and Node already
   * coalesces socket writes under load; acks are batched by the transport itself.
   */
  autoPipelining?: boolean;
  /** Longest a consumer's blocking read waits before it is issued again. Default 5000. */
  blockMs?: number;
  /** Longest a consumer sleeps between looks at its due entries when nobody woke it. Default 5000. */
  moverMaxWaitMs?: number;
  /** Background failures (a consumer cannot read, a hand-back failed); they are retried. Default: ignored. */
  onError?: (err: Error) => void;
}

export interface ResolvedOptions {
  /** What to connect to, and how it is named in messages (without credentials). */
  input: RedisConnectionInput | undefined;
  where: string;
  connection: ConnectionSettings;
  publish: PublishSettings;
  broadcastMaxLen: number;
  consumer: ConsumerSettings;
}

/** What every numeric option's error says: where it was given, and that it counts milliseconds or entries. */
const numeric = { where: 'redis transport', unit: 'milliseconds or entries' } as const;

/** The options with their defaults; a bad number, URL or connection throws a ConfigError. */
export function resolveOptions(options: RedisTransportOptions): ResolvedOptions {
  const commandTimeoutMs = numberOption(options.commandTimeoutMs, { ...numeric, name: 'commandTimeoutMs', fallback: 5000 });
  const connectTimeoutMs = numberOption(options.connectTimeoutMs, { ...numeric, name: 'connectTimeoutMs', fallback: 10_000 });
  const dedupWindowMs = Math.floor(
    numberOption(options.dedupWindowMs, { ...numeric, name: 'dedupWindowMs', fallback: 120_000, zero: true }),
  );
  const maxLen = Math.floor(numberOption(options.maxLen, { ...numeric, name: 'maxLen', fallback: 10_000, zero: true }));
  const broadcastMaxLen = numberOption(options.broadcastMaxLen, { ...numeric, name: 'broadcastMaxLen', fallback: 1_000 });
  const input = connectionInput(options);
  return {
    input,
    where: describe(input),
    connection: { commandTimeoutMs, connectTimeoutMs, autoPipelining: options.autoPipelining ?? false },
    publish: { commandTimeoutMs, dedupWindowMs, maxLen },
    broadcastMaxLen,
    consumer: {
      commandTimeoutMs,
      maxDeadLetters: numberOption(options.maxDeadLetters, { ...numeric, name: 'maxDeadLetters', fallback: 10_000 }),
      blockMs: numberOption(options.blockMs, { ...numeric, name: 'blockMs', fallback: 5000 }),
      moverMaxWaitMs: numberOption(options.moverMaxWaitMs, { ...numeric, name: 'moverMaxWaitMs', fallback: 5000 }),
      staleConsumerMs: 60 * 60_000,
      onError: options.onError ?? (() => {}),
    },
  };
}

function connectionInput({ url, redis, cluster }: RedisTransportOptions): RedisConnectionInput | undefined {
  if (url !== undefined && typeof url !== 'string') throw new ConfigError(`redis transport: url must be a string, got ${typeof url}`);
  const fromUrl = url !== undefined && /^rediss?\+cluster:/i.test(url) ? clusterUrlInput(url) : undefined;
  if (url !== undefined && fromUrl === undefined) checkRedisUrl(url, 'redis transport url');
  const seeds = cluster ?? fromUrl?.nodes;
  if (seeds === undefined) return redis ?? url;
  if (cluster !== undefined && (!Array.isArray(cluster) || cluster.length === 0))
    throw new ConfigError('redis transport: cluster must be a non-empty list of seed nodes, e.g. ["redis://10.0.0.1:6379"]');
  if (cluster !== undefined && url !== undefined)
    throw new ConfigError('redis transport: give url (one server) or cluster (seed nodes of a Redis Cluster), not both');
  if (redis instanceof Redis || redis instanceof Cluster)
    throw new ConfigError(
      'redis transport: on a cluster, redis can only be options for each node; a client of your own goes alone in redis',
    );
  return { cluster: seeds, redisOptions: { ...fromUrl?.redisOptions, ...redis } };
}

/** A cluster URL's seed nodes, and its credentials (every node's) and TLS as ioredis options. */
function clusterUrlInput(url: string): { nodes: { host: string; port: number }[]; redisOptions: RedisOptions } {
  const { tls, credentials, nodes } = parseClusterUrl(url);
  const redisOptions: RedisOptions = {};
  if (credentials) {
    const colon = credentials.indexOf(':');
    const user = decodeURIComponent(colon < 0 ? credentials : credentials.slice(0, colon));
    if (user) redisOptions.username = user;
    if (colon >= 0) redisOptions.password = decodeURIComponent(credentials.slice(colon + 1));
  }
  if (tls) redisOptions.tls = {};
  return { nodes, redisOptions };
}
