/**
 * Cron on every transport, in real time: two runtimes of one namespace run a
 * per-second schedule; each tick starts one run, whose event is the tick.
 */
import { expect, it } from 'vitest';
import { defineFunction } from '../../index.js';
import { until } from '../conformance/transport.suite.js';
import type { SuiteContext } from './suite-context.js';

export function cronCases({ ns, make }: SuiteContext): void {
  it('cron: two runtimes of one namespace start one run per tick', async () => {
    const namespace = ns();
    const ticks: number[] = [];
    const fn = () => defineFunction({ id: 'heartbeat', trigger: { cron: '* * * * * *' } }, ({ event }) => void ticks.push(event.ts));
    const a = await make({ namespace, functions: [fn()] });
    await make({ namespace, functions: [fn()] });
    const next = a.listFunctions()[0].nextTick as number;
    expect(next % 1_000).toBe(0);
    await until(() => ticks.filter((t) => t >= next + 2_000).length > 0, 10_000, 'three ticks');
    const seen = ticks.filter((t) => t >= next && t <= next + 2_000).sort((x, y) => x - y);
    expect(seen).toEqual([next, next + 1_000, next + 2_000]);
    const runs = await a.listRuns({ functionId: 'heartbeat', limit: 100 });
    expect(runs.filter((r) => r.event.ts >= next && r.event.ts <= next + 2_000)).toHaveLength(3);
    expect(new Set(runs.map((r) => r.event.ts)).size).toBe(runs.length);
  });
}
