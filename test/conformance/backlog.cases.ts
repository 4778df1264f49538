/**
 * Conformance cases for what metrics read from a transport: a group's
 * backlog (ready, delayed, in flight) and the namespace's dead letters.
 * Called from the transport suite, so they run unchanged on every transport.
 * Counts are compared by their sum where transports may place a message in
 * different states (NATS keeps a retry waiting out its delay as unacked).
 */
import { expect, it } from 'vitest';
import type { Backlog, Delivery, Transport } from '../../core/transport.js';

type MakeTransport = () => Promise<{
  t: Transport;
  consume: (subject: string, group: string, handler: (d: Delivery) => unknown, opts?: { concurrency?: number }) => Promise<unknown>;
}>;

const enc = (s: string) => new TextEncoder().encode(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const total = (b: Backlog) => b.ready + b.delayed + b.inFlight;

/** Polls `read` until `check` holds of what it read (bounded); returns the last reading. */
async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`);
    await sleep(20);
  }
}

export function backlogConformance(make: MakeTransport): void {
  it('backlog: counts what a group has yet to settle, by state, and zeros for a group never made', async () => {
    const { t, consume } = await make();
    const held: Delivery[] = [];
    let settle = false;
    // A handler holds its consumer's one slot until it returns: the held delivery keeps the others waiting.
    let release = () => {};
    const released = new Promise<void>((r) => (release = r));
    await consume(
      'jobs',
      'workers',
      async (d) => {
        if (settle) return d.ack();
        held.push(d);
        await released;
      },
      { concurrency: 1 },
    );
    expect(await t.backlog('jobs', 'workers')).toEqual({ ready: 0, delayed: 0, inFlight: 0 });
    for (const id of ['a', 'b', 'c']) await t.publish('jobs', enc(id), { msgId: id });
    await until(
      async () => held.length,
      (n) => n === 1,
      'the first delivery',
    );
    const three = await until(
      () => t.backlog('jobs', 'workers'),
      (b) => total(b) === 3 && b.inFlight >= 1,
      'three unsettled',
    );
    expect(three.delayed).toBe(0);

    await t.publish('jobs', enc('later'), { msgId: 'later', delayMs: 60_000 });
    await until(
      () => t.backlog('jobs', 'workers'),
      (b) => b.delayed === 1 && total(b) === 4,
      'a delayed publish counted as delayed',
    );

    // Settled for good: the held one leaves the backlog, the rest are acked as they come.
    settle = true;
    await held[0].ack();
    release();
    const left = await until(
      () => t.backlog('jobs', 'workers'),
      (b) => b.ready === 0 && b.inFlight === 0,
      'the ready ones settled',
    );
    expect(left.delayed).toBe(1);
    expect(await t.backlog('jobs', 'nobody')).toEqual({ ready: 0, delayed: 0, inFlight: 0 });
    expect(await t.backlog('never-published', 'workers')).toEqual({ ready: 0, delayed: 0, inFlight: 0 });
  });

  it('backlog: a retry waiting out its delay is still unsettled, and a dead letter is counted once', async () => {
    const { t, consume } = await make();
    const got: Delivery[] = [];
    await consume('jobs', 'workers', (d) => void got.push(d), { concurrency: 4 });
    expect(await t.deadLetterCount()).toBe(0);
    await t.publish('jobs', enc('x'), { msgId: 'x' });
    await t.publish('jobs', enc('y'), { msgId: 'y' });
    await until(
      async () => got.length,
      (n) => n === 2,
      'two deliveries',
    );
    const [x, y] = got;
    await x.retry(60_000);
    await y.deadLetter('refused in a test');
    const after = await until(
      () => t.backlog('jobs', 'workers'),
      (b) => total(b) === 1 && b.ready === 0,
      'one retry left',
    );
    // Memory, Redis and SQLite hold it as delayed; NATS as unacked (a NAK with a delay).
    expect(after.delayed + after.inFlight).toBe(1);
    expect(
      await until(
        () => t.deadLetterCount(),
        (n) => n === 1,
        'one dead letter',
      ),
    ).toBe(1);
  });
}
