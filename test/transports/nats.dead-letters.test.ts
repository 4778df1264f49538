/**
 * A dead letter is written whatever its reason holds. A reason with half a
 * surrogate pair (msgpackr's "end of buffer not reached" message quotes the
 * value it read, cut at 100 characters, which can split an emoji) made
 * encodeURIComponent throw: the letter was never written and the message came
 * back forever. Found by the wire property test.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Consumer } from '../../core/transport.js';
import { createNatsTransport, destroyNamespace, type NatsTransport } from '../../transports/nats/index.js';
import { until } from '../conformance/transport.suite.js';

const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const open: { t: NatsTransport; ns: string; consumers: Consumer[] }[] = [];
afterEach(async () => {
  for (const { t, ns, consumers } of open.splice(0)) {
    for (const c of consumers) await c.stop({ timeoutMs: 100 });
    await t.close();
    await destroyNamespace(url, ns);
  }
});

describe('NATS dead letters', () => {
  it('writes a dead letter whose reason holds a lone surrogate, and its message is not delivered again', async () => {
    const ns = `dead_${process.pid}_${Date.now().toString(36)}`;
    const t = createNatsTransport({ url, namespace: ns });
    await t.connect();
    const entry = { t, ns, consumers: [] as Consumer[] };
    open.push(entry);
    let deliveries = 0;
    entry.consumers.push(
      await t.consume(
        'events',
        'g',
        async (d) => {
          deliveries++;
          await d.deadLetter('not msgpack: Data read, but end of buffer not reached "🚀\ud83d');
        },
        { concurrency: 1, ackWaitMs: 1_000 },
      ),
    );
    await t.publish('events', Uint8Array.of(0xc1), { msgId: 'half\udc00' });
    await until(async () => (await t.deadLetters(10)).length === 1, 10_000, 'the dead letter');
    const [letter] = await t.deadLetters(10);
    expect(letter.reason).toBe('not msgpack: Data read, but end of buffer not reached "🚀\ufffd');
    expect(letter.group).toBe('g');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(deliveries).toBe(1);
  });
});
