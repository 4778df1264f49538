/**
 * Fault tests on a nats-server of our own (file storage, its own port and
 * store dir), so killing it disturbs nobody else: a restart mid-flow loses
 * no publish that resolved, and a publish to a dead server rejects with a
 * clear TransportError instead of hanging.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransportError } from '../../core/transport.js';
import { createNatsTransport, destroyNamespace, type NatsTransport } from '../../transports/nats/index.js';
import { removeWithThisProcess } from '../servers/die-with-this-process.js';
import { startNats } from '../servers/nats-server.js';
import { startOnFreePorts } from '../servers/on-free-ports.js';
import { unusedPort } from '../servers/ports.js';
import { delayedSendAcrossRestart } from './delayed-across-restart.js';
import { sleep, stopProcess } from '../servers/server-process.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** A nats-server child process that can be killed and started again on the same port and store. */
class OwnServer {
  private child: ChildProcess | undefined;
  readonly dir = removeWithThisProcess(mkdtempSync(join(tmpdir(), 'eventide-nats-')));
  constructor(readonly port: number) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = (await startNats(this.port, this.dir)).child;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await stopProcess(child, signal);
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A server of our own on free ports; one that fails to start leaves no directory behind. */
function startOwnServer(): Promise<OwnServer> {
  return startOnFreePorts(1, async ([port]) => {
    const own = new OwnServer(port);
    try {
      await own.start();
      return own;
    } catch (e) {
      await own.dispose();
      throw e;
    }
  });
}

describe('NATS transport across a server restart', () => {
  let server: OwnServer;
  beforeAll(async () => {
    server = await startOwnServer();
  }, 60_000);
  afterAll(async () => {
    await server?.dispose();
  });

  it('delivers every publish that resolved, and publishes during the outage resolve or reject clearly', async () => {
    const ns = `restart_${process.pid}`;
    const publisher = createNatsTransport({ url: server.url, namespace: ns, publishTimeoutMs: 2_000, reconnectTimeWait: 100 });
    const worker = createNatsTransport({ url: server.url, namespace: ns, publishTimeoutMs: 2_000, reconnectTimeWait: 100 });
    await publisher.connect();
    await worker.connect();
    const acked = new Set<string>();
    const consumer = await worker.consume(
      'events',
      'restart-group',
      async (d) => {
        acked.add(d.id);
        await d.ack();
      },
      { concurrency: 20, ackWaitMs: 2_000 },
    );

    const resolved: string[] = [];
    const rejected: unknown[] = [];
    let slowest = 0;
    let resolvedAfterRestart = 0;
    let restarted = false;
    const producing = (async () => {
      const end = Date.now() + 4_000;
      for (let i = 0; Date.now() < end; i++) {
        const id = `m${i}`;
        const started = Date.now();
        try {
          await publisher.publish('events', enc(id), { msgId: id });
          resolved.push(id);
          if (restarted) resolvedAfterRestart++;
        } catch (e) {
          rejected.push(e);
        }
        slowest = Math.max(slowest, Date.now() - started);
        if (i % 20 === 0) await sleep(1);
      }
    })();

    await sleep(1_000);
    await server.kill('SIGKILL');
    await sleep(100);
    // Published while the server is down: held by the transport and sent once it reconnects (or rejected at the timeout).
    const duringOutage = Array.from({ length: 20 }, (_, i) => `outage${i}`);
    const outageStarted = Date.now();
    const outage = Promise.allSettled(duringOutage.map((id) => publisher.publish('events', enc(id), { msgId: id })));
    await sleep(600);
    await server.start();
    restarted = true;
    const outcomes = await outage;
    outcomes.forEach((o, i) => (o.status === 'fulfilled' ? resolved.push(duringOutage[i]) : rejected.push(o.reason)));
    const outageResolved = outcomes.filter((o) => o.status === 'fulfilled').length;
    slowest = Math.max(slowest, Date.now() - outageStarted);
    await producing;

    const deadline = Date.now() + 20_000;
    while (resolved.some((id) => !acked.has(id)) && Date.now() < deadline) await sleep(50);
    const missing = resolved.filter((id) => !acked.has(id));
    expect(missing).toEqual([]);
    expect(resolved.length).toBeGreaterThan(100);
    expect(resolvedAfterRestart).toBeGreaterThan(0);
    expect(outageResolved).toBeGreaterThan(0);
    // Never a hang: every publish settled within its timeout (plus scheduling slack).
    expect(slowest).toBeLessThan(2_000 + 1_000);
    for (const e of rejected) {
      expect(e).toBeInstanceOf(TransportError);
      expect((e as TransportError).message).toMatch(/NATS transport: publish to "events"/);
    }

    await consumer.stop({ timeoutMs: 1_000 });
    await publisher.close();
    await worker.close();
    await destroyNamespace(server.url, ns);
  }, 60_000);

  it('rejects a publish with a clear TransportError within publishTimeoutMs while the server is down', async () => {
    const ns = `down_${process.pid}`;
    const t: NatsTransport = createNatsTransport({ url: server.url, namespace: ns, publishTimeoutMs: 800, reconnectTimeWait: 100 });
    await t.connect();
    expect((await t.publish('events', enc('up'), { msgId: 'u1' })).duplicate).toBe(false);
    await server.kill('SIGKILL');
    try {
      const started = Date.now();
      const err = await t.publish('events', enc('down'), { msgId: 'd1' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const took = Date.now() - started;
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe('TIMEOUT');
      expect((err as TransportError).message).toMatch(/not acknowledged within 800 ms/);
      expect(took).toBeGreaterThanOrEqual(700);
      expect(took).toBeLessThan(800 + 700);
      // Closing while the server is down must not hang either.
      const closing = Date.now();
      await t.close();
      expect(Date.now() - closing).toBeLessThan(5_000);
    } finally {
      await server.start();
    }
    await destroyNamespace(server.url, ns);
  }, 30_000);

  it('refuses to connect with a clear TransportError when no server listens', async () => {
    const t = createNatsTransport({ url: `nats://127.0.0.1:${await unusedPort()}`, namespace: 'nobody' });
    const err = await t.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('CONNECTION_REFUSED');
    expect((err as TransportError).message).toMatch(/cannot connect to nats:\/\/127\.0\.0\.1:\d+: connection refused by 127\.0\.0\.1:\d+/);
  });
});

describe('a delayed send across a restart of NATS and of every process', () => {
  let server: OwnServer;
  beforeAll(async () => {
    server = await startOwnServer();
  }, 60_000);
  afterAll(async () => {
    await server?.dispose();
  });
  it('runs no earlier than its time, and runs', () => delayedSendAcrossRestart(server), 60_000);
});
