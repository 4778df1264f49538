/** Cron triggers: configuration errors, and ticks driven by a TestClock (one run per tick across runtimes, no back-fill). */
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, TestClock, createRuntime, defineFunction, silentLogger, type Runtime } from '../../index.js';
import { decodeEnvelope, type Envelope } from '../../core/codec/envelope.js';
import { CronTicker } from '../../core/cron/ticker.js';
import { runIdFor } from '../../core/ids.js';
import { createMemoryTransport, MemoryHub } from '../../transports/memory/index.js';

const noop = () => undefined;
const runtimes: Runtime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.stop({ timeoutMs: 100 });
});

describe('cron trigger configuration', () => {
  const define = (trigger: unknown) => () => defineFunction({ id: 'nightly', trigger: trigger as { cron: string } }, noop);

  it('accepts 5 fields, 6 with seconds, a nickname, a time zone, and arrays mixing events and schedules', () => {
    expect(define({ cron: '0 3 * * *' })().crons.map((c) => c.cron)).toEqual(['0 3 * * *']);
    expect(define({ cron: '*/10 * * * * *' })().crons).toHaveLength(1);
    expect(define({ cron: '@hourly', tz: 'Europe/Paris' })().crons[0].tz).toBe('Europe/Paris');
    const both = define([{ event: 'report/requested' }, { cron: '0 9 * * 1', tz: 'America/New_York' }])();
    expect(both.events.map((t) => t.event)).toEqual(['report/requested']);
    expect(both.crons.map((c) => c.cron)).toEqual(['0 9 * * 1']);
    expect(both.matches({ name: 'report/requested', data: {}, id: 'e', ts: 0 })).toBe(true);
    expect(define({ cron: '0 3 * * *' })().matches({ name: 'report/requested', data: {}, id: 'e', ts: 0 })).toBe(false);
  });

  it('reads the expression in its time zone', () => {
    const fn = define({ cron: '0 9 * * *', tz: 'Europe/Paris' })();
    // 09:00 in Paris is 07:00 UTC in summer, 08:00 UTC in winter.
    expect(new Date(fn.crons[0].next(Date.UTC(2026, 6, 1)) as number).toISOString()).toBe('2026-07-01T07:00:00.000Z');
    expect(new Date(fn.crons[0].next(Date.UTC(2026, 0, 1)) as number).toISOString()).toBe('2026-01-01T08:00:00.000Z');
    expect(new Date(define({ cron: '0 9 * * *' })().crons[0].next(Date.UTC(2026, 0, 1)) as number).toISOString()).toBe(
      '2026-01-01T09:00:00.000Z',
    );
  });

  it.each([
    [{ cron: 'every day' }, /trigger\.cron: "every day" is not a cron expression/],
    [{ cron: '61 * * * *' }, /trigger\.cron: .*minute/],
    [{ cron: '* * * * * * *' }, /trigger\.cron: .*5 or 6/],
    [{ cron: '' }, /trigger\.cron must be a cron expression/],
    [{ cron: 5 }, /trigger\.cron must be a cron expression/],
    [{ cron: '0 0 30 2 *' }, /trigger\.cron: "0 0 30 2 \*" never fires/],
    [{ cron: '0 * * * *', tz: 'Mars/Olympus' }, /trigger\.tz: unknown time zone "Mars\/Olympus"/],
    [{ cron: '0 * * * *', tz: '' }, /trigger\.tz must be an IANA time zone/],
    [{ cron: '0 * * * *', event: 'a/b' }, /trigger has both event and cron/],
    [[{ event: 'a/b' }, { cron: 'nope' }], /trigger\[1\]\.cron: "nope" is not a cron expression/],
    [[], /an empty array starts nothing/],
    [{}, /trigger\.event must name an event .* or give \{ cron, tz\? \}/],
  ])('refuses %j with a ConfigError naming the option', (trigger, message) => {
    expect(define(trigger)).toThrow(ConfigError);
    expect(define(trigger)).toThrow(message);
  });
});

describe('cron ticks with an injected clock', () => {
  // 2026-01-01T00:00:00.500Z: half a second before the first per-second tick.
  const start = Date.UTC(2026, 0, 1) + 500;

  async function worker(clock: TestClock, hub: MemoryHub, functions: ReturnType<typeof defineFunction>[], options = {}) {
    const rt = createRuntime({
      clock,
      functions,
      logger: silentLogger,
      transport: createMemoryTransport({ namespace: 'cron', hub }),
      namespace: 'cron',
      ...options,
    });
    runtimes.push(rt);
    await rt.start();
    return rt;
  }

  it('starts one run per tick, with the tick as its event, and shows the next tick', async () => {
    const clock = new TestClock(start);
    const hub = new MemoryHub(clock);
    const seen: { name: string; ts: number; data: unknown }[] = [];
    const fn = defineFunction({ id: 'minutely', trigger: { cron: '* * * * *' } }, ({ event }) => {
      seen.push({ name: event.name, ts: event.ts, data: event.data });
    });
    const rt = await worker(clock, hub, [fn]);
    const [listed] = rt.listFunctions();
    expect(listed).toMatchObject({ id: 'minutely', trigger: 'cron * * * * *', nextTick: Date.UTC(2026, 0, 1, 0, 1) });
    expect(listed.crons).toEqual([{ cron: '* * * * *', nextTick: Date.UTC(2026, 0, 1, 0, 1) }]);
    await clock.advance(3 * 60_000);
    expect(seen).toEqual([1, 2, 3].map((m) => ({ name: 'eventide/cron', ts: Date.UTC(2026, 0, 1, 0, m), data: { cron: '* * * * *' } })));
    const runs = await rt.listRuns();
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(rt.listFunctions()[0].nextTick).toBe(Date.UTC(2026, 0, 1, 0, 4));
  });

  it('starts one run per tick however many workers share the namespace', async () => {
    const clock = new TestClock(start);
    const hub = new MemoryHub(clock);
    let runs = 0;
    const fn = () => defineFunction({ id: 'every-second', trigger: { cron: '* * * * * *' } }, () => void runs++);
    const a = await worker(clock, hub, [fn()]);
    await worker(clock, hub, [fn()]);
    await worker(clock, hub, [fn()]);
    await clock.advance(10_000);
    expect(runs).toBe(10);
    const records = await a.listRuns({ limit: 100 });
    expect(records).toHaveLength(10);
    expect(new Set(records.map((r) => r.event.ts)).size).toBe(10);
  });

  it('does not back-fill ticks that fell while no worker ran, and stops ticking when stopped', async () => {
    const clock = new TestClock(start);
    const hub = new MemoryHub(clock);
    const ticks: number[] = [];
    const fn = defineFunction({ id: 'minutely', trigger: { cron: '* * * * *' } }, ({ event }) => void ticks.push(event.ts));
    const first = await worker(clock, hub, [fn]);
    await clock.advance(60_000);
    expect(ticks).toEqual([Date.UTC(2026, 0, 1, 0, 1)]);
    await first.stop();
    await clock.advance(5 * 60_000);
    expect(ticks).toHaveLength(1);
    await worker(clock, hub, [fn]);
    await clock.advance(60_000);
    // Ticks 00:02 to 00:06 fell while no worker ran: the next run is 00:07's.
    expect(ticks).toEqual([Date.UTC(2026, 0, 1, 0, 1), Date.UTC(2026, 0, 1, 0, 7)]);
  });

  it('runs a function from both its event trigger and its schedule; a producer-only runtime ticks nothing', async () => {
    const clock = new TestClock(start);
    const hub = new MemoryHub(clock);
    const names: string[] = [];
    const fn = () =>
      defineFunction(
        { id: 'report', trigger: [{ event: 'report/requested' }, { cron: '0 * * * *' }] },
        ({ event }) => void names.push(event.name),
      );
    const producer = await worker(clock, hub, [fn()], { worker: false });
    expect(producer.listFunctions()[0]).toMatchObject({ trigger: 'report/requested, cron 0 * * * *', nextTick: Date.UTC(2026, 0, 1, 1) });
    await clock.advance(3_600_000);
    expect(names).toEqual([]);
    await worker(clock, hub, [fn()]);
    await producer.send({ name: 'report/requested', data: {} });
    await clock.advance(3_600_000);
    expect(names).toEqual(['report/requested', 'eventide/cron']);
  });
});

describe('the cron ticker alone', () => {
  const decodeTick = (bytes: Uint8Array) => decodeEnvelope(bytes) as Envelope;

  it('waits out a schedule longer than one timer can hold', async () => {
    const clock = new TestClock(Date.UTC(2026, 0, 1, 12));
    const published: Envelope[] = [];
    const fn = defineFunction({ id: 'yearly', trigger: { cron: '0 0 1 1 *' } }, noop);
    const ticker = new CronTicker([fn], clock, async (_subject, bytes) => void published.push(decodeTick(bytes)), silentLogger);
    ticker.start();
    for (let day = 0; day < 370; day += 10) await clock.advance(10 * 86_400_000);
    ticker.stop();
    expect(published.map((e) => e.event.ts)).toEqual([Date.UTC(2027, 0, 1)]);
    expect(published[0].target).toEqual({ functionId: 'yearly', runId: runIdFor('yearly', published[0].event.id) });
  });

  it('publishes a tick again while the transport refuses it, until the next tick is due', async () => {
    const clock = new TestClock(Date.UTC(2026, 0, 1));
    const attempts: { id: string; at: number }[] = [];
    let refuse = 2;
    const fn = defineFunction({ id: 'minutely', trigger: { cron: '* * * * *' } }, noop);
    const ticker = new CronTicker(
      [fn],
      clock,
      async (_subject, bytes, options) => {
        attempts.push({ id: decodeTick(bytes).event.id, at: clock.now() });
        expect(options.msgId).toBe(decodeTick(bytes).event.id);
        if (refuse-- > 0) throw new Error('transport down');
      },
      silentLogger,
    );
    ticker.start();
    await clock.advance(65_000);
    ticker.stop();
    const first = Date.UTC(2026, 0, 1, 0, 1);
    expect(attempts).toEqual([0, 1_000, 2_000].map((d) => ({ id: `cron_minutely_0_${first}`, at: first + d })));
  });
});
