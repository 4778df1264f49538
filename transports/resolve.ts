/**
 * @module
 * The transport resolver the package entry gives every runtime: it turns
 * `memory://`, `nats://…`, `redis://…` (and their config objects) into a
 * transport. Each transport module loads only when a runtime asks for it, so
 * an app on Redis never loads the NATS client, and the reverse.
 */
import { systemClock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import type { Transport, TransportConfig, TransportDefaults, TransportResolver } from '../core/transport.js';
import type { MemoryTransportOptions } from './memory/index.js';
import type { NatsTransportOptions } from './nats/index.js';
import type { RedisTransportOptions } from './redis/index.js';
import { checkMemoryUrl, checkNatsServers, checkRedisUrl, parseClusterUrl, unknownTransportUrl } from './shared/urls.js';

/** Each transport's options, by the `kind` that selects it. */
interface OptionsByKind {
  memory: MemoryTransportOptions;
  nats: NatsTransportOptions & { url?: string };
  redis: RedisTransportOptions;
}

export type TransportKind = keyof OptionsByKind;

/** A transport by configuration: `{ kind: 'redis', url, maxLen }`, `{ kind: 'nats', servers }`, `{ kind: 'memory' }`. */
export type KnownTransportConfig = { [K in TransportKind]: { kind: K } & OptionsByKind[K] }[TransportKind];

const schemes: Record<string, TransportKind> = {
  'memory:': 'memory',
  'nats:': 'nats',
  'tls:': 'nats',
  'redis:': 'redis',
  'rediss:': 'redis',
  'redis+cluster:': 'redis',
  'rediss+cluster:': 'redis',
};

const kinds: ReadonlySet<string> = new Set<TransportKind>(['memory', 'nats', 'redis']);

/** Refuses a URL that cannot be one of `kind`'s, naming the shape it needs, before any connection is tried. */
function checkUrl(kind: TransportKind, url: string): void {
  if (kind === 'memory') checkMemoryUrl(url);
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
      `transport config needs kind 'memory', 'nats' or 'redis', got ${JSON.stringify((option as { kind?: unknown })?.kind)}`,
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
    default:
      throw new ConfigError(`transport kind ${JSON.stringify(config.kind)} is not one of memory, nats, redis`);
  }
}

export const transportResolver: TransportResolver = { parse, create };
