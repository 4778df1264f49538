/**
 * @module
 * Turns the `transport` option into a Transport. Transports load lazily, so
 * the NATS and Redis clients are imported only by apps that use them.
 */
import { systemClock, type Clock } from './clock.js';
import { ConfigError } from './errors.js';
import type { Transport } from './transport.js';

/** `{ kind: 'nats', servers, ... }`, `{ kind: 'redis', url, ... }`, `{ kind: 'memory' }`: passed to that transport's `createTransport`. */
export interface TransportConfig {
  kind: 'memory' | 'nats' | 'redis';
  namespace?: string;
  url?: string;
  [option: string]: unknown;
}

export type TransportOption = string | TransportConfig | Transport;

type Factory = (options: Record<string, unknown>) => Transport;

const loaders: Record<TransportConfig['kind'], () => Promise<{ createTransport: Factory }>> = {
  memory: async () => (await import('../transports/memory/index.js')) as unknown as { createTransport: Factory },
  nats: async () => (await import('../transports/nats/index.js')) as unknown as { createTransport: Factory },
  redis: async () => (await import('../transports/redis/index.js')) as unknown as { createTransport: Factory },
};

const schemes: Record<string, TransportConfig['kind']> = {
  'memory:': 'memory',
  'nats:': 'nats',
  'tls:': 'nats',
  'redis:': 'redis',
  'rediss:': 'redis',
  'redis+cluster:': 'redis',
  'rediss+cluster:': 'redis',
};

export function isTransport(value: unknown): value is Transport {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (value as Transport).publish === 'function' &&
    typeof (value as Transport).consume === 'function'
  );
}

/** Reads a URL or config without loading anything, so a typo fails at `createRuntime`. */
export function parseTransportOption(option: string | TransportConfig | undefined): TransportConfig {
  if (option === undefined || option === '') return { kind: 'memory' };
  if (typeof option === 'string') {
    const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(option)?.[1]?.toLowerCase();
    const kind = scheme ? schemes[scheme] : undefined;
    if (!kind) throw new ConfigError(`transport "${option}" is not understood: use memory://, nats://host:4222 or redis://host:6379`);
    return { kind, url: option };
  }
  if (!option || typeof option !== 'object' || !(option.kind in loaders)) {
    throw new ConfigError(
      `transport config needs kind 'memory', 'nats' or 'redis', got ${JSON.stringify((option as { kind?: unknown })?.kind)}`,
    );
  }
  return option;
}

export async function createTransportFrom(config: TransportConfig, defaults: { namespace: string; clock: Clock }): Promise<Transport> {
  const { createTransport } = await loaders[config.kind]();
  return createTransport({
    namespace: defaults.namespace,
    ...(config.kind === 'memory' && defaults.clock !== systemClock ? { clock: defaults.clock } : {}),
    ...config,
  });
}
