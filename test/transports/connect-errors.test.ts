/**
 * A connection that cannot be made says which way it failed and where: refused
 * (nothing listens on that port: one bound and closed here) or timed out (a
 * TCP server that accepts and never answers, with a short connectTimeoutMs),
 * on NATS and on Redis, through a runtime's start() as a user meets it.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '../../core/transport.js';
import { createRuntime, silentLogger } from '../../index.js';
import { createNatsTransport } from '../../transports/nats/index.js';
import { createRedisTransport } from '../../transports/redis/index.js';
import { unusedPort } from '../servers/ports.js';

let silent: net.Server;
let silentPort: number;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  // Accepts every connection and never writes a byte: a server that hangs, or something that is not the server expected.
  silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as net.AddressInfo).port;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

async function failure(start: () => Promise<unknown>): Promise<{ error: TransportError; ms: number }> {
  const began = Date.now();
  const error = await start().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TransportError);
  return { error: error as TransportError, ms: Date.now() - began };
}

describe.each([
  { name: 'redis', url: (port: number) => `redis://127.0.0.1:${port}`, server: 'Redis' },
  { name: 'nats', url: (port: number) => `nats://127.0.0.1:${port}`, server: 'a NATS server' },
])('connecting to $name', ({ name, url, server }) => {
  it('says the connection was refused, and by which host:port, at once', async () => {
    const port = await unusedPort();
    const rt = createRuntime({ transport: url(port), namespace: 'refused', logger: silentLogger });
    const { error, ms } = await failure(() => rt.start());
    expect(error.code).toBe('CONNECTION_REFUSED');
    expect(error.message).toContain(`connection refused by 127.0.0.1:${port}: nothing listens there (is ${server} running, on that port?)`);
    expect(ms).toBeLessThan(3_000);
    await rt.stop({ timeoutMs: 500 });
  });

  it('says the connection timed out, where, and after how long, when the server accepts and never answers', async () => {
    const transport =
      name === 'redis'
        ? createRedisTransport({ url: url(silentPort), namespace: 'silent', connectTimeoutMs: 300 })
        : createNatsTransport({ url: url(silentPort), namespace: 'silent', connectTimeoutMs: 300 });
    const rt = createRuntime({ transport, namespace: 'silent', logger: silentLogger });
    const { error, ms } = await failure(() => rt.start());
    expect(error.code).toBe('CONNECT_TIMEOUT');
    expect(error.message).toContain(`timed out: 127.0.0.1:${silentPort} did not answer within 300 ms (connectTimeoutMs)`);
    expect(error.message).toContain(`what listens there is not ${server}`);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(3_000);
    await rt.stop({ timeoutMs: 500 });
  });

  it('refuses a connectTimeoutMs that is not a positive number', () => {
    const make = () =>
      name === 'redis'
        ? createRedisTransport({ url: url(6379), connectTimeoutMs: -1 })
        : createNatsTransport({ url: url(4222), connectTimeoutMs: Number.NaN });
    expect(make).toThrow(/connectTimeoutMs/);
  });
});
