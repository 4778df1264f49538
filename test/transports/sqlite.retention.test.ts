/** What the SQLite transport keeps and for how long: values past expireMs, and a subject's history beyond maxHistory. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Delivery } from '../../core/transport.js';
import { createSqliteTransport, type SqliteTransport } from '../../transports/sqlite/index.js';
import { until } from '../conformance/transport.suite.js';
import { fileFor, removeFile } from './sqlite.fixture.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
let counter = 0;
const opened: { t: SqliteTransport; path: string }[] = [];

afterEach(async () => {
  for (const { t, path } of opened.splice(0)) {
    await t.close();
    await removeFile(path);
  }
});

async function open(options: { maxHistory?: number } = {}): Promise<SqliteTransport> {
  const namespace = `ret_${process.pid}_${counter++}`;
  const path = fileFor(namespace);
  const t = createSqliteTransport({ path, namespace, ...options });
  opened.push({ t, path });
  await t.connect();
  return t;
}

describe('sqlite transport retention', () => {
  it('forgets a value once its expireMs has passed, for get, keys and create alike; a later write without one keeps it', async () => {
    const t = await open();
    const r = (await t.store.create('run.a', enc('a'), { expireMs: 200 }))!;
    await t.store.create('run.b', enc('b'), { expireMs: 200 });
    expect(await t.store.update('run.b', enc('b2'), (await t.store.get('run.b'))!.revision)).toBeDefined();
    expect(dec((await t.store.get('run.a'))!.value)).toBe('a');
    await new Promise((res) => setTimeout(res, 300));
    expect(await t.store.get('run.a')).toBeUndefined();
    expect(await t.store.keys('run.')).toEqual(['run.b']);
    expect(await t.store.update('run.a', enc('late'), r)).toBeUndefined();
    expect(await t.store.create('run.a', enc('again'))).toBeDefined();
    expect(dec((await t.store.get('run.a'))!.value)).toBe('again');
  });

  it('keeps maxHistory messages per subject, and never trims one a group has yet to settle', async () => {
    const t = await open({ maxHistory: 10 });
    const held: Delivery[] = [];
    const slow = await t.consume('events', 'g', (d) => void held.push(d), { concurrency: 1, ackWaitMs: 60_000 });
    for (let i = 0; i < 600; i++) await t.publish('events', enc(`m${i}`), { msgId: `m${i}` });
    await until(() => held.length === 1, 10_000, 'the first delivery');
    // The trim point passed twice, but the group still owed every message: none went.
    expect(await t.history('events', 1_000)).toHaveLength(600);
    // Another member settles everything but the one held; the next trim takes what is settled and old.
    let acked = 0;
    const fast = await t.consume(
      'events',
      'g',
      async (d) => {
        await d.ack();
        acked++;
      },
      { concurrency: 100, ackWaitMs: 60_000 },
    );
    await until(() => acked === 599, 10_000, 'all but the held message settled');
    for (let i = 600; i < 900; i++) await t.publish('events', enc(`m${i}`), { msgId: `m${i}` });
    const left = (await t.history('events', 1_000)).map((h) => h.id);
    expect(left.length).toBeLessThan(900);
    expect(left[0]).toBe('m899');
    expect(left).toContain(held[0].id);
    await fast.stop({ timeoutMs: 100 });
    await slow.stop({ timeoutMs: 100 });
  });
});
