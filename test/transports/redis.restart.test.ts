/**
 * Faults on a real Redis of our own (never the shared one): kill -9 and
 * restart mid-flow with AOF + appendfsync always, and an unreachable or
 * frozen server. Every publish must resolve or reject with a TransportError
 * in bounded time, and every publish that resolved must be delivered.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransportError, type Consumer } from '../../core/transport.js';
import { createRedisTransport, type RedisTransport } from '../../transports/redis/index.js';
import { removeWithThisProcess } from '../servers/die-with-this-process.js';
import { startOnFreePorts } from '../servers/on-free-ports.js';
import { unusedPort } from '../servers/ports.js';
import { startRedis } from '../servers/redis-server.js';
import { delayedSendAcrossRestart } from './delayed-across-restart.js';
import { sleep, stopProcess } from '../servers/server-process.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

class OwnRedis {
  proc: ChildProcess | undefined;
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir, '--save', ''];
    this.proc = (await startRedis(this.port, args)).child;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    return stopProcess(this.proc, signal);
  }
}

let server: OwnRedis;
let dir: string;

beforeAll(async () => {
  dir = removeWithThisProcess(mkdtempSync(join(tmpdir(), 'eventide-redis-')));
  server = await startOnFreePorts(1, async ([port]) => {
    const own = new OwnRedis(port, dir);
    await own.start();
    return own;
  });
}, 60_000);

afterAll(async () => {
  if (server?.proc && server.proc.signalCode === 'SIGSTOP') server.proc.kill('SIGCONT');
  await server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('redis transport across a Redis crash (AOF, appendfsync always)', () => {
  it('delivers every publish that resolved, and no publish hangs, when Redis is killed -9 and restarted mid-flow', async () => {
    const commandTimeoutMs = 700;
    const t = createRedisTransport({ url: server.url, namespace: 'restart', commandTimeoutMs, blockMs: 500 });
    await t.connect();
    const delivered = new Set<string>();
    const consumer: Consumer = await t.consume(
      'events',
      'g',
      async (d) => {
        delivered.add(dec(d.data));
        await d.ack().catch(() => undefined);
      },
      { concurrency: 20, ackWaitMs: 1000 },
    );

    const resolved: string[] = [];
    const rejected: { id: string; err: unknown }[] = [];
    let slowest = 0;
    const publisher = (async () => {
      const end = Date.now() + 4000;
      for (let i = 0; Date.now() < end; i++) {
        const id = `m${i}`;
        const began = Date.now();
        try {
          await t.publish('events', enc(id), { msgId: id });
          resolved.push(id);
        } catch (err) {
          rejected.push({ id, err });
        }
        slowest = Math.max(slowest, Date.now() - began);
        await sleep(2);
      }
    })();

    await sleep(1200);
    await server.kill('SIGKILL');
    // Longer than commandTimeoutMs: publishes sent early in the outage time out, later ones resolve after the reconnect.
    await sleep(1000);
    await server.start();
    await publisher;

    expect(resolved.length).toBeGreaterThan(100);
    expect(rejected.length).toBeGreaterThan(0);
    for (const { err } of rejected) {
      expect(err).toBeInstanceOf(TransportError);
      expect(['TIMEOUT', 'UNAVAILABLE']).toContain((err as TransportError).code);
    }
    // Never hangs: a publish waits at most for a reconnect, bounded by commandTimeoutMs.
    expect(slowest).toBeLessThan(commandTimeoutMs + 1000);

    const end = Date.now() + 20_000;
    while (resolved.some((id) => !delivered.has(id)) && Date.now() < end) await sleep(50);
    expect(resolved.filter((id) => !delivered.has(id))).toEqual([]);

    await consumer.stop({ timeoutMs: 500 });
    await t.close();
  });
});

describe('redis transport when Redis cannot answer', () => {
  it('rejects connect() at once with a clear TransportError when nothing listens', async () => {
    const t = createRedisTransport({ url: `redis://127.0.0.1:${await unusedPort()}`, namespace: 'nobody', commandTimeoutMs: 1000 });
    const began = Date.now();
    const err = await t.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('CONNECTION_REFUSED');
    expect((err as Error).message).toMatch(/cannot connect to redis:\/\/127\.0\.0\.1:\d+: connection refused by 127\.0\.0\.1:\d+/);
    expect(Date.now() - began).toBeLessThan(1500);
    await t.close();
  });

  it('rejects a publish within commandTimeoutMs when Redis is frozen (SIGSTOP) or gone (killed)', async () => {
    const commandTimeoutMs = 400;
    const t: RedisTransport = createRedisTransport({ url: server.url, namespace: 'frozen', commandTimeoutMs });
    await t.connect();
    await t.publish('events', enc('before'), { msgId: 'b' });

    const attempt = async () => {
      const began = Date.now();
      const err = await t.publish('events', enc('during'), { msgId: `d${began}` }).then(
        () => undefined,
        (e: unknown) => e,
      );
      return { err, took: Date.now() - began };
    };

    server.proc!.kill('SIGSTOP');
    try {
      const frozen = await attempt();
      expect(frozen.err).toBeInstanceOf(TransportError);
      expect((frozen.err as TransportError).code).toBe('TIMEOUT');
      expect((frozen.err as Error).message).toMatch(/did not answer within 400 ms/);
      expect(frozen.took).toBeGreaterThanOrEqual(commandTimeoutMs - 20);
      expect(frozen.took).toBeLessThan(commandTimeoutMs + 300);
    } finally {
      server.proc!.kill('SIGCONT');
    }

    await server.kill('SIGKILL');
    const gone = await attempt();
    expect(gone.err).toBeInstanceOf(TransportError);
    expect(gone.took).toBeLessThan(commandTimeoutMs + 300);

    // And it recovers by itself once Redis is back.
    await server.start();
    const end = Date.now() + 10_000;
    let ok = false;
    while (!ok && Date.now() < end)
      ok = await t.publish('events', enc('after'), { msgId: `a${Date.now()}` }).then(
        () => true,
        () => false,
      );
    expect(ok).toBe(true);
    await t.close();
  });
});

describe('a delayed send across a restart of Redis and of every process', () => {
  it('runs no earlier than its time, and runs', () => delayedSendAcrossRestart(server), 60_000);
});
