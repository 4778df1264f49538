/**
 * Due entries (delayed publishes and retries) with several processes on one
 * namespace: every process runs the mover when woken, exactly one move wins,
 * and each due entry is delivered exactly once.
 */
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../../core/transport.js';
import { until } from '../conformance/transport.suite.js';
import { dec, enc, redisNamespaces, sleep } from './redis.fixture.js';

// A safety-net wait far beyond the test: deliveries on time prove the wake-ups work.
const namespace = redisNamespaces('mover', { moverMaxWaitMs: 60_000 });

describe('redis transport: due entries across processes', () => {
  it('delivers each delayed publish exactly once, on time, when two worker processes race to move it', async () => {
    const { open, consumers } = namespace();
    const producer = await open(); // a process that only sends: consumers learn of its delays by wake-up
    const [a, b] = [await open(), await open()];
    const seen = new Map<string, { count: number; at: number; by: string[] }>();
    const handler = (who: string) => async (d: Delivery) => {
      const s = seen.get(d.id) ?? { count: 0, at: Date.now(), by: [] };
      s.count++;
      s.by.push(who);
      seen.set(d.id, s);
      await d.ack();
    };
    consumers.push(await a.consume('events', 'g', handler('a'), { concurrency: 5, ackWaitMs: 30_000 }));
    consumers.push(await b.consume('events', 'g', handler('b'), { concurrency: 5, ackWaitMs: 30_000 }));

    const total = 40;
    const sent = new Map<string, { at: number; delay: number }>();
    await Promise.all(
      Array.from({ length: total }, async (_, i) => {
        const delay = 200 + (i % 4) * 100;
        sent.set(`d${i}`, { at: Date.now(), delay });
        await producer.publish('events', enc(`d${i}`), { msgId: `d${i}`, delayMs: delay });
      }),
    );
    await until(() => seen.size === total, 10_000, 'every delayed message');
    await sleep(500);
    for (const [id, s] of seen) {
      const { at, delay } = sent.get(id)!;
      expect(s.count, `${id} delivered ${s.count} times by ${s.by.join(',')}`).toBe(1);
      expect(s.at - at).toBeGreaterThanOrEqual(delay - 30);
      // Woken, not polled: well within the 60 s safety net.
      expect(s.at - at).toBeLessThan(delay + 500);
    }
  });

  it('delivers each retry exactly once more, whichever process moves it', async () => {
    const { open, consumers } = namespace();
    const [a, b] = [await open(), await open()];
    const seen = new Map<string, number[]>();
    const handler = async (d: Delivery) => {
      seen.set(d.id, [...(seen.get(d.id) ?? []), d.deliveryCount]);
      if (d.deliveryCount === 1) await d.retry(150);
      else await d.ack();
    };
    consumers.push(await a.consume('events', 'g', handler, { concurrency: 4, ackWaitMs: 30_000 }));
    consumers.push(await b.consume('events', 'g', handler, { concurrency: 4, ackWaitMs: 30_000 }));
    const total = 30;
    for (let i = 0; i < total; i++) await a.publish('events', enc(`r${i}`), { msgId: `r${i}` });
    await until(() => [...seen.values()].filter((c) => c.length >= 2).length === total, 10_000, 'every retry');
    await sleep(500);
    for (const [id, counts] of seen) expect(counts, id).toEqual([1, 2]);
  });

  it('moves a due entry once even when many movers run at the same instant', async () => {
    const { open, consumers } = namespace();
    const transports = await Promise.all(Array.from({ length: 4 }, () => open()));
    const got: string[] = [];
    for (const t of transports)
      consumers.push(
        await t.consume('events', 'g', async (d) => void (got.push(dec(d.data)), await d.ack()), { concurrency: 10, ackWaitMs: 30_000 }),
      );
    // Every transport hears the same wake-up and runs its mover at the same moment.
    await transports[0].publish('events', enc('once'), { msgId: 'once', delayMs: 250 });
    await until(() => got.length === 1, 5000, 'the delayed message');
    await sleep(600);
    expect(got).toEqual(['once']);
  });
});
