/**
 * Connections and errors. The transport opens its own connections (commands,
 * one blocking reader per consumer, one subscriber); a client handed in by
 * the user serves as their template, since it is duplicated with the options
 * the transport depends on (command timeout, scripts).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { TransportError } from '../../core/transport.js';
import { scripts, type ScriptedRedis } from './scripts/index.js';

export type RedisConnectionInput = string | RedisOptions | Redis;

export interface ConnectionSettings {
  commandTimeoutMs: number;
  autoPipelining: boolean;
}

/** Reconnect fast after a blip, but never more often than every 1 s when Redis stays down. */
const retryStrategy = (attempt: number) => Math.min(attempt * 50, 1000);

export function openCommandConnection(input: RedisConnectionInput | undefined, settings: ConnectionSettings): ScriptedRedis {
  const own: RedisOptions = {
    lazyConnect: true,
    commandTimeout: settings.commandTimeoutMs,
    enableAutoPipelining: settings.autoPipelining,
    retryStrategy,
    // commandTimeout bounds every command; the retry count would only add a second, vaguer, limit.
    maxRetriesPerRequest: null,
    scripts,
  };
  let client: Redis;
  if (input instanceof Redis) client = input.duplicate(own);
  else if (typeof input === 'string') client = new Redis(input, own);
  else client = new Redis({ ...(input ?? {}), ...own });
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
export function openSideConnection(cmd: Redis, name: string, blockedForMs?: number): ScriptedRedis {
  const side = cmd.duplicate({
    commandTimeout: undefined,
    enableAutoPipelining: false,
    lazyConnect: true,
    connectionName: name,
    ...(blockedForMs ? { blockingTimeout: blockedForMs + 1000, blockingTimeoutGrace: 1000 } : {}),
  });
  side.on('error', () => {});
  return side as ScriptedRedis;
}

/** Quit politely, but never wait on a server that does not answer. */
export async function closeConnection(client: Redis, timeoutMs = 1000): Promise<void> {
  if (client.status === 'end' || client.status === 'wait') {
    client.disconnect();
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([client.quit().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
  clearTimeout(timer);
  client.disconnect();
}

export function describe(input: RedisConnectionInput | undefined): string {
  if (typeof input === 'string') return input.replace(/\/\/[^@/]*@/, '//***@');
  if (input instanceof Redis) return `${input.options.host ?? '127.0.0.1'}:${input.options.port ?? 6379}`;
  return `${input?.host ?? '127.0.0.1'}:${input?.port ?? 6379}`;
}

/** Turns what ioredis throws into a TransportError that says what failed and why. */
export function transportError(err: unknown, what: string, commandTimeoutMs: number): TransportError {
  if (err instanceof TransportError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (message === 'Command timed out') {
    return new TransportError(`redis transport: ${what}: Redis did not answer within ${commandTimeoutMs} ms (commandTimeoutMs); it may be down or unreachable. The operation may still have been applied: retry with the same msgId`, { cause: err, code: 'TIMEOUT' });
  }
  if (/Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH/.test(message)) {
    return new TransportError(`redis transport: ${what}: Redis is unreachable (${message})`, { cause: err, code: 'UNAVAILABLE' });
  }
  return new TransportError(`redis transport: ${what}: ${message}`, { cause: err, code: 'REDIS' });
}
