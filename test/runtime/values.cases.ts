/**
 * Values that survive, end to end: what an event, a step result and a run's
 * output may hold arrives as it was sent; what would not is refused where it
 * enters, naming the path (core/codec/values.ts states the rule).
 */
import { isDeepStrictEqual } from 'node:util';
import { expect, it } from 'vitest';
import { defineFunction, EventValidationError } from '../../index.js';
import type { SuiteContext } from './suite-context.js';

/** One of each kind of value the rule lets travel. */
export function everyKind(): Record<string, unknown> {
  const bare = Object.create(null) as Record<string, unknown>;
  bare.inside = 'a null-prototype object';
  return {
    text: 'naïve ☃ 🚀',
    numbers: [0, -1, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 40, Infinity, -Infinity, NaN],
    big: 2n ** 70n,
    flags: [true, false, null],
    nested: { deeper: { list: [{ a: 1 }, [2, [3]]] } },
    missing: undefined,
    when: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
    set: new Set(['a', 1, new Date(0)]),
    bytes: new Uint8Array([0, 255, 7]),
    buffer: Buffer.from('raw'),
    floats: new Float64Array([1.25, -0.5]),
    bare,
  };
}

/** Deep equality that reads a null-prototype object as the plain object it arrives as. */
function same(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalise(a), normalise(b));
}
function normalise(v: unknown): unknown {
  if (!v || typeof v !== 'object' || v instanceof Date || ArrayBuffer.isView(v) || v instanceof Set) return v;
  if (Array.isArray(v)) return v.map(normalise);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
}

export function valueCases({ ns, make, settled }: SuiteContext): void {
  it('delivers every kind of value the rule allows as it was sent: in an event, a step result and the output', async () => {
    const namespace = ns();
    const seen: { data?: unknown; fromStep?: unknown } = {};
    const fn = defineFunction({ id: 'values', trigger: { event: 'values/sent' } }, async ({ event, step }) => {
      seen.data = event.data;
      seen.fromStep = await step.run('echo', () => everyKind());
      return everyKind();
    });
    const rt = await make({ namespace, functions: [fn] });
    const { ids } = await rt.send({ name: 'values/sent', data: everyKind() });
    await settled(rt, 1);
    const [run] = await rt.listRuns();
    expect(run.status).toBe('succeeded');
    expect(same(seen.data, everyKind())).toBe(true);
    expect(same(seen.fromStep, everyKind())).toBe(true);
    expect(same(run.output, everyKind())).toBe(true);
    expect(same(run.steps.echo.output, everyKind())).toBe(true);
    const [stored] = await rt.listEvents({ name: 'values/sent' });
    expect(stored.id).toBe(ids[0]);
    expect(same(stored.data, everyKind())).toBe(true);
  });

  it('refuses a Map or a class instance at send, and fails a run whose step result or output holds one, naming the path', async () => {
    const namespace = ns();
    class Money {
      cents = 5;
    }
    const stepFn = defineFunction({ id: 'step-map', trigger: { event: 'values/step' }, retries: 0 }, async ({ step }) => {
      await step.run('load', () => ({ byId: new Map([['a', 1]]) }));
    });
    const outFn = defineFunction({ id: 'out-class', trigger: { event: 'values/out' }, retries: 0 }, () => ({ total: new Money() }));
    const rt = await make({ namespace, functions: [stepFn, outFn] });
    const refused = await rt.send({ name: 'values/step', data: { m: new Map() } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EventValidationError);
    expect((refused as EventValidationError).code).toBe('NOT_SERIALISABLE');
    expect((refused as Error).message).toContain('data.m is a Map');
    const instance = await rt.send({ name: 'values/out', data: { at: [new Money()] } }).catch((e: unknown) => e);
    expect((instance as EventValidationError).code).toBe('NOT_SERIALISABLE');
    expect((instance as Error).message).toContain('data.at[0] is an instance of Money');
    expect(await rt.listEvents()).toEqual([]);
    await rt.send([
      { name: 'values/step', data: {} },
      { name: 'values/out', data: {} },
    ]);
    await settled(rt, 2);
    const runs = await rt.listRuns();
    const byFn = Object.fromEntries(runs.map((r) => [r.functionId, r]));
    expect(byFn['step-map'].status).toBe('failed');
    expect(byFn['step-map'].error?.message).toContain('output of step "load".byId is a Map');
    expect(byFn['out-class'].status).toBe('failed');
    expect(byFn['out-class'].error?.message).toContain('the run output.total is an instance of Money');
  });
}
