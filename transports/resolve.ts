/**
 * @module
 * The transport resolver the package entry gives every runtime: it turns
 * `memory://`, `nats://…`, `redis://…`, `sqlite://…` (and their config
 * objects) into a transport. Each transport module loads only when a runtime
 * asks for it, so an app on Redis never loads the NATS client or SQLite, and
 * the reverse.
 */
import { systemClock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import type { Transport, TransportConfig, TransportDefaults, TransportResolver } from '../core/transport.js';
import type { MemoryTransportOptions } from './memory/index.js';
import type { NatsTransportOptions } from './nats/index.js';
import type { RedisTransportOptions } from './redis/index.js';
import { checkMemoryUrl, checkNatsServers, checkRedisUrl, parseClusterUrl, unknownTransportUrl } from './shared/urls.js';
import type { SqliteTransportOptions } from './sqlite/index.js';

/** Each transport's options, by the `kind` that selects it. */
interface OptionsByKind {
  memory: MemoryTransportOptions;
  nats: NatsTransportOptions & { url?: string };
  redis: RedisTransportOptions;
  sqlite: SqliteTransportOptions;
}

export type TransportKind = keyof OptionsByKind;

/** A transport by configuration: `{ kind: 'redis', url, maxLen }`, `{ kind: 'nats', servers }`, `{ kind: 'sqlite', path }`, `{ kind: 'memory' }`. */
export type KnownTransportConfig = { [K in TransportKind]: { kind: K } & OptionsByKind[K] }[TransportKind];

const schemes: Record<string, TransportKind> = {
  'memory:': 'memory',
  'nats:': 'nats',
  'tls:': 'nats',
  'redis:': 'redis',
  'rediss:': 'redis',
  'redis+cluster:': 'redis',
  'rediss+cluster:': 'redis',
  'sqlite:': 'sqlite',
};

const kinds: ReadonlySet<string> = new Set<TransportKind>(['memory', 'nats', 'redis', 'sqlite']);

/** Refuses a URL that cannot be one of `kind`'s, naming the shape it needs, before any connection is tried. */
function checkUrl(kind: TransportKind, url: string): void {
  if (kind === 'memory') checkMemoryUrl(url);
  else if (kind === 'sqlite')
    return; // the SQLite transport reads its own path and query, and names what is wrong
  else if (kind === 'nats') checkNatsServers(url.split(',').map((s) => s.trim()));
  else if (/^rediss?\+cluster:/i.test(url)) parseClusterUrl(url);
  else checkRedisUrl(url);
}

function parse(option: string | TransportConfig | undefined): TransportConfig {
  if (option === undefined || option === '') return { kind: 'memory' };
  if (typeof option === 'string') {
    const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(option)?.[1]?.toLowerCase();
    const kind = scheme ? schemes[scheme] : undefined;
    if (!kind) throw unknownTransportUrl(option);
    checkUrl(kind, option);
    return { kind, url: option };
  }
  if (!option || typeof option !== 'object' || !kinds.has(option.kind)) {
    throw new ConfigError(
      `transport config needs kind 'memory', 'nats', 'redis' or 'sqlite', got ${JSON.stringify((option as { kind?: unknown })?.kind)}`,
    );
  }
  const url = (option as { url?: unknown }).url;
  if (typeof url === 'string' && option.kind !== 'memory') checkUrl(option.kind as TransportKind, url);
  return option;
}

async function create(config: TransportConfig, { namespace, clock }: TransportDefaults): Promise<Transport> {
  // Every field of the config goes to the transport, which checks its own options.
  switch (config.kind) {
    case 'memory': {
      const { createTransport } = await import('./memory/index.js');
      // The runtime's injected clock drives the memory transport's delays and ack waits too, so tests can move time.
      return createTransport({ namespace, ...(clock !== systemClock ? { clock } : {}), ...config });
    }
    case 'nats': {
      const { createTransport } = await import('./nats/index.js');
      return createTransport({ namespace, ...config });
    }
    case 'redis': {
      const { createTransport } = await import('./redis/index.js');
      return createTransport({ namespace, ...config });
    }
    case 'sqlite': {
      const { createTransport } = await import('./sqlite/index.js').catch((err: unknown) => {
        throw missingDriver(err);
      });
      return createTransport({ namespace, ...config });
    }
    default:
      throw new ConfigError(`transport kind ${JSON.stringify(config.kind)} is not one of memory, nats, redis, sqlite`);
  }
}

/** better-sqlite3 is an optional dependency: an app that asks for SQLite without it is told what to install. */
function missingDriver(err: unknown): unknown {
  const { code, message } = (err ?? {}) as { code?: string; message?: string };
  if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message?.includes('better-sqlite3')) {
    return new ConfigError('the sqlite transport needs better-sqlite3 12: npm install better-sqlite3@12', { cause: err });
  }
  return err;
}

export const transportResolver: TransportResolver = { parse, create };
