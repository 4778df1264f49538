/**
 * Connections to the server: the transport's own, which it cannot use
 * without JetStream; the one a process that also consumes sends on; and
 * closing either without waiting on a server that is gone.
 */
import { connect, Events, type ConnectionOptions, type JetStreamManager, type NatsConnection } from 'nats';
import { settledWithin } from '../../core/lib/bounded.js';
import { TransportError } from '../../core/transport.js';
import { connectFailure, hostPorts } from '../shared/urls.js';
import { Publisher } from './publisher.js';

/** Connects and makes sure JetStream answers; either failure is a TransportError that says which (and a refused or timed-out connection, where). */
export async function openConnection(options: ConnectionOptions): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const servers = options.servers;
  let nc: NatsConnection;
  try {
    nc = await connect(options);
  } catch (e) {
    const where = hostPorts(Array.isArray(servers) ? servers : String(servers), 4222);
    const failure = connectFailure(e, 'a NATS server', where, options.timeout ?? 20_000);
    throw new TransportError(`NATS transport: cannot connect to ${String(servers)}: ${failure.text}`, {
      cause: e,
      code: failure.code ?? 'CONNECT',
    });
  }
  try {
    return { nc, jsm: await nc.jetstreamManager() };
  } catch (e) {
    await nc.close().catch(() => undefined);
    throw new TransportError(
      `NATS transport: JetStream is not available on ${String(servers)} (start nats-server with -js): ${(e as Error).message}`,
      { cause: e, code: 'NO_JETSTREAM' },
    );
  }
}

/**
 * Sends of a process that also consumes go on a connection of their own, so a `send` in a request
 * handler never waits behind the worker's KV writes, acks and pulls on the main connection.
 */
export interface SendConnection {
  nc: NatsConnection;
  publisher: Publisher;
}

/** Resolves undefined when the server cannot be reached: sends then stay on the main connection. */
export async function openSendConnection(options: ConnectionOptions, timeoutMs: number): Promise<SendConnection | undefined> {
  let nc: NatsConnection;
  try {
    nc = await connect(options);
  } catch {
    return undefined;
  }
  return { nc, publisher: new Publisher(nc, timeoutMs) };
}

/** A publisher holds its publishes while its connection is down and sends them again once it is back. */
export async function followPublisher({ nc, publisher }: SendConnection): Promise<void> {
  for await (const st of nc.status()) {
    if (st.type === Events.Disconnect) publisher.disconnected();
    if (st.type === Events.Reconnect) publisher.reconnected();
  }
}

/** Drain flushes the last acks and NAKs; a server that is down cannot be drained, so it is bounded. */
export async function drainAndClose(nc: NatsConnection, timeoutMs: number): Promise<void> {
  await settledWithin(nc.drain(), timeoutMs);
  if (!nc.isClosed()) await nc.close().catch(() => undefined);
}
