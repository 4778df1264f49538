/**
 * @module
 * The shapes of transport URLs, checked before anything connects, and the
 * words every transport uses for a connection that fails. A URL that cannot
 * be one (`redis:/127.0.0.1:6379`, a port of 99999) is refused as malformed
 * when the runtime is created, naming the shape it needs; otherwise the
 * client would try it and fail later with a message about a closed
 * connection.
 */
import { ConfigError } from '../../core/errors.js';

/** Every scheme a transport URL may have, in the shape each needs: what a malformed URL's message lists. */
export const transportUrlShapes = [
  'memory://',
  'sqlite://./file.db (or sqlite://:memory:)',
  'nats://host:4222 (tls:// for TLS; several servers comma-separated)',
  'redis://[user:password@]host:6379[/db]',
  'rediss://[user:password@]host:6380[/db] (TLS)',
  'redis+cluster://[user:password@]host:port,host:port',
  'rediss+cluster://[user:password@]host:port,host:port (TLS)',
].join(', ');

// A host name, an IPv4 address or a bracketed IPv6 address.
const host = String.raw`(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?)`;
const port = String.raw`(?::(\d{1,5}))?`;
const credentials = String.raw`(?:([^@/?#]*)@)?`;

const redisShape = new RegExp(String.raw`^(rediss?)://${credentials}${host}${port}(?:/(\d+)?)?(?:\?[^#]*)?$`, 'i');
const natsShape = new RegExp(String.raw`^(?:(nats|tls)://)?${credentials}${host}${port}/?$`, 'i');
const clusterShape = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#@]+)\/?$/i;
const hostPort = new RegExp(String.raw`^${host}${port}$`);

/** The URL with any password replaced by `***`, fit to quote in an error. */
export function masked(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_, userinfo: string) => `//${userinfo.includes(':') ? `${userinfo.split(':')[0]}:***` : '***'}@`);
}

function malformed(what: string, url: string, shape: string): ConfigError {
  return new ConfigError(`${what} ${JSON.stringify(masked(url))} is malformed: ${shape}. Transport URLs are ${transportUrlShapes}`);
}

function validPort(raw: string | undefined): boolean {
  return raw === undefined || (Number(raw) >= 1 && Number(raw) <= 65535);
}

/** A transport URL whose scheme names no transport, or has none. */
export function unknownTransportUrl(url: string): ConfigError {
  return new ConfigError(
    `transport ${JSON.stringify(masked(url))} names no transport this runtime knows: transport URLs are ${transportUrlShapes}`,
  );
}

/** `memory:` or `memory://`, nothing after. */
export function checkMemoryUrl(url: string): void {
  if (!/^memory:(\/\/)?$/i.test(url)) throw malformed('transport', url, 'the memory transport is memory:// with nothing after it');
}

/** One Redis server: `redis://[user:password@]host[:port][/db][?options]`, or `rediss://…`. */
export function checkRedisUrl(url: string, what = 'transport'): void {
  const m = redisShape.exec(url);
  if (!m || !validPort(m[4]))
    throw malformed(
      what,
      url,
      'a Redis server is redis://[user:password@]host[:port][/db] (rediss:// for TLS), the port from 1 to 65535 (a Unix socket goes in the redis option: { path })',
    );
}

/** NATS servers: `nats://[user:password@]host[:port]` or `tls://…` (or `host:port`), one or several. */
export function checkNatsServers(servers: string[], what = 'transport'): void {
  for (const server of servers) {
    const m = natsShape.exec(server);
    if (!m || !validPort(m[4]))
      throw malformed(
        what,
        servers.join(','),
        `${JSON.stringify(masked(server))} is not a NATS server: nats://[user:password@]host[:port] (tls:// for TLS), the port from 1 to 65535`,
      );
  }
}

/**
 * The seed nodes and credentials of `redis+cluster://[user:password@]host:port,host:port[/]` (or
 * `rediss+cluster://` for TLS): a cluster in one string, so that it fits where a URL goes.
 */
export function parseClusterUrl(url: string): { tls: boolean; credentials: string | undefined; nodes: { host: string; port: number }[] } {
  const shape = 'a Redis Cluster is redis+cluster://[user:password@]host:port,host:port (rediss+cluster:// for TLS)';
  const m = clusterShape.exec(url);
  if (!m) throw malformed('transport', url, shape);
  const [, scheme, userinfo, hosts] = m;
  const nodes = hosts.split(',').map((item) => {
    const at = hostPort.exec(item.trim());
    if (!at || !validPort(at[2])) throw malformed('transport', url, `"${item}" is not host:port; ${shape}`);
    return { host: at[1], port: Number(at[2] ?? 6379) };
  });
  return { tls: scheme.toLowerCase() === 'rediss', credentials: userinfo, nodes };
}

/** `host:port` of each server in a URL or a list of them, without scheme or credentials: where a connection went. */
export function hostPorts(servers: string | readonly string[], defaultPort: number): string {
  const list = typeof servers === 'string' ? servers.split(',') : servers;
  return list
    .map((s) => {
      const bare = s
        .trim()
        .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
        .replace(/^[^@/]*@/, '')
        .replace(/[/?#].*$/, '');
      return /:\d+$/.test(bare) ? bare : `${bare}:${defaultPort}`;
    })
    .join(', ');
}

/** Why a connection to `server` (Redis, NATS) at `where` could not be made, from the socket error or the client's code. */
export function connectFailure(
  cause: unknown,
  server: string,
  where: string,
  timeoutMs: number,
): { code: 'CONNECTION_REFUSED' | 'CONNECT_TIMEOUT' | 'HOST_NOT_FOUND' | undefined; text: string } {
  const code = (cause as { code?: unknown } | undefined)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (code === 'ECONNREFUSED' || code === 'CONNECTION_REFUSED')
    return {
      code: 'CONNECTION_REFUSED',
      text: `connection refused by ${where}: nothing listens there (is ${server} running, on that port?)`,
    };
  if (code === 'ETIMEDOUT' || code === 'TIMEOUT' || code === 'CONNECT_TIMEOUT')
    return {
      code: 'CONNECT_TIMEOUT',
      text: `timed out: ${where} did not answer within ${timeoutMs} ms (connectTimeoutMs); the host may be down, a firewall may drop the packets, or what listens there is not ${server}`,
    };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { code: 'HOST_NOT_FOUND', text: `host not found: ${where} (${message})` };
  return { code: undefined, text: message };
}
