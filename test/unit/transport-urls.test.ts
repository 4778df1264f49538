/**
 * A transport URL that cannot be one is refused as malformed when the runtime
 * (or the transport) is created, naming the shape it needs and listing every
 * scheme: no connection is tried, so the error cannot be a vague "connection
 * is closed".
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, createRuntime, silentLogger } from '../../index.js';
import { createNatsTransport } from '../../transports/nats/index.js';
import { createRedisTransport } from '../../transports/redis/index.js';

const schemes = ['memory://', 'nats://', 'tls://', 'redis://', 'rediss://', 'redis+cluster://', 'rediss+cluster://'];

function refusal(make: () => unknown): ConfigError {
  try {
    make();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('transport URLs', () => {
  it.each([
    [
      'redis:/127.0.0.1:6379',
      /"redis:\/127\.0\.0\.1:6379" is malformed: a Redis server is redis:\/\/\[user:password@\]host\[:port\]\[\/db\]/,
    ],
    ['redis:127.0.0.1', /is malformed: a Redis server is redis:\/\//],
    ['redis://127.0.0.1:99999', /the port from 1 to 65535/],
    ['redis://127.0.0.1:0', /the port from 1 to 65535/],
    ['redis://', /is malformed: a Redis server/],
    ['redis://127.0.0.1:6379/db0', /is malformed: a Redis server/],
    ['rediss:/cache.internal', /is malformed: a Redis server is .* \(rediss:\/\/ for TLS\)/],
    ['nats:/127.0.0.1:4222', /"nats:\/127\.0\.0\.1:4222" is not a NATS server: nats:\/\/\[user:password@\]host\[:port\]/],
    ['nats://127.0.0.1:4222,nats://:4223', /"nats:\/\/:4223" is not a NATS server/],
    ['nats://127.0.0.1:70000', /the port from 1 to 65535/],
    ['memory:/', /the memory transport is memory:\/\/ with nothing after it/],
    ['memory://somewhere', /the memory transport is memory:\/\//],
    ['redis+cluster://', /is malformed: a Redis Cluster is redis\+cluster:\/\/\[user:password@\]host:port,host:port/],
    ['redis+cluster://10.0.0.1:7000,:7001', /":7001" is not host:port/],
    ['rediss+cluster://10.0.0.1:7000/0', /a Redis Cluster is/],
  ])('refuses %s at createRuntime, as malformed, naming the shape and every scheme', (url, shape) => {
    const e = refusal(() => createRuntime({ transport: url, logger: silentLogger }));
    expect(e.message).toMatch(shape);
    for (const scheme of schemes) expect(e.message).toContain(scheme);
  });

  it('names no transport for an unknown scheme, or none, and lists every scheme', () => {
    for (const url of ['http://127.0.0.1:6379', 'localhost:6379', 'postgres://db']) {
      const e = refusal(() => createRuntime({ transport: url, logger: silentLogger }));
      expect(e.message).toMatch(/names no transport this runtime knows: transport URLs are/);
      for (const scheme of schemes) expect(e.message).toContain(scheme);
    }
  });

  it('refuses a malformed url in a config object, and in the transports’ own options', () => {
    expect(refusal(() => createRuntime({ transport: { kind: 'redis', url: 'redis:/127.0.0.1:6379' } })).message).toMatch(/is malformed/);
    expect(refusal(() => createRuntime({ transport: { kind: 'nats', url: 'nats:/127.0.0.1' } })).message).toMatch(/is not a NATS server/);
    expect(refusal(() => createRedisTransport({ url: 'redis:/127.0.0.1:6379' })).message).toMatch(
      /^redis transport url "redis:\/127.0.0.1:6379" is malformed/,
    );
    expect(refusal(() => createNatsTransport({ servers: ['nats://127.0.0.1:4222', 'nats:/other:4222'] })).message).toMatch(
      /^NATS transport servers .* is malformed: "nats:\/other:4222" is not a NATS server/,
    );
  });

  it('never quotes a password', () => {
    const e = refusal(() => createRuntime({ transport: 'redis://app:s3cret@127.0.0.1:99999' }));
    expect(e.message).not.toContain('s3cret');
    expect(e.message).toContain('redis://app:***@127.0.0.1:99999');
  });

  it('accepts the shapes there are', () => {
    for (const url of [
      'memory://',
      'memory:',
      'redis://127.0.0.1:6379',
      'redis://localhost',
      'redis://:pass@cache.internal:6380/2',
      'redis://user:pass@[::1]:6379/0?family=6',
      'rediss://cache.example.com',
      'redis+cluster://10.0.0.1:7000,10.0.0.2:7001',
      'rediss+cluster://app:p%40ss@10.0.0.1:7000,10.0.0.2',
      'nats://127.0.0.1:4222',
      'nats://user:pass@nats-1:4222,nats://nats-2:4222',
      'tls://nats.example.com:4222',
    ])
      expect(() => createRuntime({ transport: url, logger: silentLogger }), url).not.toThrow();
  });
});
