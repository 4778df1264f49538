/**
 * Connections and errors. The transport opens its own connections (commands,
 * one blocking reader per consumer, one subscriber); a client handed in by
 * the user serves as their template, since it is duplicated with the options
 * the transport depends on (command timeout, scripts).
 *
 * On Redis Cluster every connection is an ioredis `Cluster`, which follows a
 * namespace's slot to whichever master holds it (MOVED, ASK, failover); the
 * rest of the transport cannot tell the two apart, except where a command is
 * about a connection rather than a key (see `isCluster`).
 */
import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis';
import { settledWithin } from '../../core/lib/bounded.js';
import { TransportError } from '../../core/transport.js';
import { hostPorts } from '../shared/urls.js';
import { scripts, type ScriptedRedis } from './scripts/index.js';

/** One Redis server (with its replicas) or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** Seed nodes of a Redis Cluster, and the options of each node's connections (password, TLS, …). */
export interface ClusterInput {
  cluster: ClusterNode[];
  redisOptions?: RedisOptions;
}

export type RedisConnectionInput = string | RedisOptions | RedisClient | ClusterInput;

export interface ConnectionSettings {
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  autoPipelining: boolean;
}

/** Reconnect fast after a blip, but never more often than every 1 s when Redis stays down. */
const retryStrategy = (attempt: number) => Math.min(attempt * 50, 1000);

export function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster;
}

function isClusterInput(input: RedisConnectionInput | undefined): input is ClusterInput {
  return typeof input === 'object' && input !== null && Array.isArray((input as ClusterInput).cluster);
}

export function openCommandConnection(input: RedisConnectionInput | undefined, settings: ConnectionSettings): ScriptedRedis {
  const perNode: RedisOptions = {
    commandTimeout: settings.commandTimeoutMs,
    // commandTimeout bounds every command; the retry count would only add a second, vaguer, limit.
    maxRetriesPerRequest: null,
    // A host that drops the packets fails as ETIMEDOUT, which connect() reports as a timeout, not as a closed connection.
    connectTimeout: settings.connectTimeoutMs,
  };
  const clusterWide: ClusterOptions = {
    lazyConnect: true,
    enableAutoPipelining: settings.autoPipelining,
    clusterRetryStrategy: retryStrategy,
    scripts,
  };
  let client: RedisClient;
  if (input instanceof Cluster)
    client = input.duplicate([], { ...clusterWide, redisOptions: { ...input.options.redisOptions, ...perNode } });
  else if (isClusterInput(input)) {
    // While a slot moves or a master fails over, Redis answers TRYAGAIN, CLUSTERDOWN or MOVED (nodes disagree until the
    // new owner is known everywhere) and ioredis asks again, up to maxRedirections times. With the defaults (16, MOVED
    // at once) a send gave up after 1.4 s of a failover; with a pause on MOVED too and enough tries, commandTimeout
    // (one timer per command, from its first send) is what ends the wait, as on a single server.
    const retryDelayOnMoved = 50;
    const maxRedirections = Math.max(16, Math.ceil(settings.commandTimeoutMs / retryDelayOnMoved));
    client = new Cluster(input.cluster, {
      ...clusterWide,
      maxRedirections,
      retryDelayOnMoved,
      redisOptions: { ...input.redisOptions, ...perNode },
    });
  } else {
    const own: RedisOptions = { ...perNode, lazyConnect: true, enableAutoPipelining: settings.autoPipelining, retryStrategy, scripts };
    if (input instanceof Redis) client = input.duplicate(own);
    else if (typeof input === 'string') client = new Redis(input, own);
    else client = new Redis({ ...(input ?? {}), ...own });
  }
  // Errors surface through the commands that fail; without a listener ioredis would print each reconnect attempt.
  client.on('error', () => {});
  return client as ScriptedRedis;
}

/**
 * A connection for blocking reads or subscriptions: no command timeout (a
 * block is meant to wait). A read cut by a reconnect is sent again (with
 * autoResendUnfulfilledCommands off, ioredis would leave its promise pending
 * forever). `blockedForMs`, for readers, makes a read that gets no answer
 * (a half-open socket) resolve empty a second after its BLOCK ran out.
 */
export function openSideConnection(cmd: RedisClient, name: string, blockedForMs?: number): ScriptedRedis {
  const perNode: RedisOptions = {
    commandTimeout: undefined,
    connectionName: name,
    ...(blockedForMs ? { blockingTimeout: blockedForMs + 1000, blockingTimeoutGrace: 1000 } : {}),
  };
  const side = isCluster(cmd)
    ? cmd.duplicate([], { enableAutoPipelining: false, lazyConnect: true, redisOptions: { ...cmd.options.redisOptions, ...perNode } })
    : cmd.duplicate({ ...perNode, enableAutoPipelining: false, lazyConnect: true });
  side.on('error', () => {});
  return side as ScriptedRedis;
}

/** Quit politely, but never wait on a server that does not answer. */
export async function closeConnection(client: RedisClient, timeoutMs = 1000): Promise<void> {
  if (client.status === 'end' || client.status === 'wait') {
    client.disconnect();
    return;
  }
  await settledWithin(client.quit(), timeoutMs);
  client.disconnect();
}

export function describe(input: RedisConnectionInput | undefined): string {
  if (typeof input === 'string') return input.replace(/\/\/[^@/]*@/, '//***@');
  if (input instanceof Cluster) return 'the Redis Cluster of the client given';
  if (isClusterInput(input)) return `Redis Cluster ${nodeList(input.cluster)}`;
  if (input instanceof Redis) return `${input.options.host ?? '127.0.0.1'}:${input.options.port ?? 6379}`;
  return `${input?.host ?? '127.0.0.1'}:${input?.port ?? 6379}`;
}

/** `host:port` of the server (or the seed nodes), without scheme or credentials: where a connection went. */
export function address(input: RedisConnectionInput | undefined): string {
  return typeof input === 'string' ? hostPorts(input, 6379) : describe(input).replace(/^Redis Cluster /, '');
}

function nodeList(nodes: ClusterNode[]): string {
  return nodes
    .map((n) => (typeof n === 'object' ? `${n.host ?? '127.0.0.1'}:${n.port ?? 6379}` : String(n).replace(/\/\/[^@/]*@/, '//***@')))
    .join(',');
}

/** Turns what ioredis throws into a TransportError that says what failed and why. */
export function transportError(err: unknown, what: string, commandTimeoutMs: number): TransportError {
  if (err instanceof TransportError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (message === 'Command timed out') {
    return new TransportError(
      `redis transport: ${what}: Redis did not answer within ${commandTimeoutMs} ms (commandTimeoutMs); it may be down or unreachable. The operation may still have been applied: retry with the same msgId`,
      { cause: err, code: 'TIMEOUT' },
    );
  }
  if (/Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH/.test(message)) {
    return new TransportError(`redis transport: ${what}: Redis is unreachable (${message})`, { cause: err, code: 'UNAVAILABLE' });
  }
  return new TransportError(`redis transport: ${what}: ${message}`, { cause: err, code: 'REDIS' });
}
